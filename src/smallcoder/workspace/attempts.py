"""Keeping one attempt's state of a run's worktree and bringing it back, for runs that try more than once.

A snapshot is a commit object on no branch (parent: the worktree's base commit) made through a scratch
index, so the worktree's own index is untouched and new files, deletions, modes and binary files are
kept exactly; ignored files are not part of it, as they are not part of the run's diff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smallcoder.workspace.git import git, git_out, identity_config
from smallcoder.workspace.snapshot import work_tree_state

if TYPE_CHECKING:
    from smallcoder.workspace.worktree import Worktree


def snapshot_worktree(wt: Worktree) -> str:
    """The worktree as it is now, as a commit id (kept from garbage collection for git's usual two weeks)."""
    tree = work_tree_state(wt.path)
    return git_out(["commit-tree", tree, "-p", wt.base_commit, "-m", "smallcoder: one attempt's state"], wt.path,
                   config=identity_config(wt.repo))


def changed_lines(wt: Worktree, commit: str) -> int | None:
    """Lines added plus removed from the base to `commit` (a binary file counts 1); None when nothing changed."""
    stat = git_out(["diff", "--numstat", "--no-renames", wt.base_commit, commit], wt.path)
    if not stat:
        return None
    return sum(int(a) + int(b) if a.isdigit() and b.isdigit() else 1
               for a, b, *_ in (line.split("\t") for line in stat.splitlines()))


def restore_worktree(wt: Worktree, commit: str) -> None:
    """Make the worktree's files those of `commit` (a snapshot_worktree id); its index stays at the base, as
    after the agent's own edits. Files the snapshot does not hold (not ignored ones) are removed."""
    from smallcoder.workspace.worktree import reset_worktree

    reset_worktree(wt)
    git(["read-tree", "-u", "--reset", commit], wt.path)
    git(["reset", "-q", wt.base_commit], wt.path)

