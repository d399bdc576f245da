"""The run's own git worktree, on its own branch, starting from the user's current state.

The user's working tree, index, current branch and stash are never touched:
their uncommitted state is read through a scratch index (see snapshot.py),
recorded as a snapshot commit when it differs from HEAD, and checked out in
a separate worktree on `smallcoder/<run_id>`. `base_commit..` then holds
only the agent's work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.git import INTERNAL_CONFIG, commit_config, find_repo_root, git, git_out
from smallcoder.workspace.provision import deprovision
from smallcoder.workspace.snapshot import work_tree_state

# Diff/apply (workspace/diff.py) and repo discovery (workspace/git.py) live in their own files.
__all__ = ["Worktree", "commit_changes", "create_worktree", "remove_worktree", "reset_worktree"]

BRANCH_PREFIX = "smallcoder/"
SNAPSHOT_MESSAGE = "smallcoder: snapshot of uncommitted changes\n\nThe working tree as it was when the run started."
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass
class Worktree:
    repo: Path  # user's repo root
    path: Path  # the worktree directory
    branch: str  # "smallcoder/<run_id>"
    base_commit: str  # commit the agent's changes are measured from
    user_head: str  # user's HEAD commit when the run started
    snapshot: bool  # True when base_commit is a snapshot of uncommitted changes


def create_worktree(repo: Path, run_id: str, worktrees_dir: Path) -> Worktree:
    """Make `worktrees_dir/run_id`, a worktree on a new branch holding the user's current files.

    `repo` may be any path inside the repository. Fails, changing nothing,
    if the branch or the directory already exists.
    """
    root = find_repo_root(repo)
    if not RUN_ID.fullmatch(run_id) or ".." in run_id or run_id.endswith(".lock"):
        raise WorkspaceError(f"bad run id {run_id!r} — use letters, digits, '.', '_' and '-'")
    branch = BRANCH_PREFIX + run_id
    if git(["rev-parse", "--verify", "-q", f"refs/heads/{branch}"], root, ok_codes=(0, 1)).returncode == 0:
        raise WorkspaceError(f"branch {branch} already exists in {root} — use another run id")
    worktrees_dir = Path(worktrees_dir).expanduser().resolve()
    path = worktrees_dir / run_id
    if path.exists():
        raise WorkspaceError(f"{path} already exists — use another run id")
    _refuse_inside_repo(root, path)

    user_head = git_out(["rev-parse", "HEAD"], root)
    tree = work_tree_state(root)
    snapshot = tree != git_out(["rev-parse", "HEAD^{tree}"], root)
    base = user_head
    if snapshot:
        base = git_out(["commit-tree", tree, "-p", user_head, "-m", SNAPSHOT_MESSAGE], root, config=commit_config(root))
    worktrees_dir.mkdir(parents=True, exist_ok=True)
    git(["worktree", "add", "-q", "-b", branch, str(path), base], root, config=INTERNAL_CONFIG)
    return Worktree(repo=root, path=path, branch=branch, base_commit=base, user_head=user_head, snapshot=snapshot)


def _refuse_inside_repo(root: Path, path: Path) -> None:
    """A worktree inside the user's tree would show up in their `git status`, unless that spot is ignored."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return
    if git(["check-ignore", "-q", "--no-index", str(rel)], root, ok_codes=(0, 1)).returncode != 0:
        raise WorkspaceError(
            f"worktree directory {path} is inside the repository and not ignored — "
            "choose a directory outside it, or add it to .git/info/exclude"
        )


def commit_changes(wt: Worktree, message: str) -> str | None:
    """Commit everything in the worktree (new files too, ignored ones not); the sha, or None when nothing changed."""
    git(["add", "-A"], wt.path)
    if git(["diff", "--cached", "--quiet", "HEAD"], wt.path, ok_codes=(0, 1)).returncode == 0:
        return None
    git(
        ["commit", "-q", "--no-verify", "-m", message.strip() or "smallcoder changes"],
        wt.path,
        config=commit_config(wt.repo),
    )
    return git_out(["rev-parse", "HEAD"], wt.path)


def remove_worktree(wt_path: Path, repo: Path) -> None:
    """Remove a run's worktree directory; its branch stays. Git refuses if it holds uncommitted work."""
    root = find_repo_root(repo)
    wt_path = Path(wt_path).expanduser()
    if not wt_path.exists():
        # Already deleted by hand: only git's bookkeeping for it is left.
        git(["worktree", "prune"], root)
        return
    wt_path = wt_path.resolve()
    if wt_path == root:
        raise WorkspaceError(f"{wt_path} is the main working tree, not a smallcoder worktree")
    deprovision(wt_path)  # git will not remove a worktree holding submodule checkouts
    git(["worktree", "remove", str(wt_path)], root)


def reset_worktree(wt: Worktree) -> None:
    """Put the run's own worktree back to its base commit, for a fresh attempt.

    Only ever runs inside `wt.path` (smallcoder's worktree, never the user's checkout);
    ignored files such as caches are kept.
    """
    if wt.path.resolve() == wt.repo.resolve():
        raise WorkspaceError("refusing to reset the user's own working tree")
    git(["reset", "-q", "--hard", wt.base_commit], wt.path)
    git(["clean", "-fdq"], wt.path)
