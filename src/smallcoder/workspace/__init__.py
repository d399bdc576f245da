"""The repository side of a run: git worktree, command runner, test-command detection, diff and apply."""

from smallcoder.workspace.diff import apply_to_user_tree, worktree_diff
from smallcoder.workspace.git import find_repo_root
from smallcoder.workspace.runner import CommandResult, run_command
from smallcoder.workspace.testcmd import detect_test_command
from smallcoder.workspace.truncate import truncate_middle
from smallcoder.workspace.worktree import Worktree, commit_changes, create_worktree, remove_worktree

__all__ = [
    "CommandResult",
    "Worktree",
    "apply_to_user_tree",
    "commit_changes",
    "create_worktree",
    "detect_test_command",
    "find_repo_root",
    "remove_worktree",
    "run_command",
    "truncate_middle",
    "worktree_diff",
]
