"""Removing a run's worktree (and, if asked, its branch) — only ever on the user's request.

Runs never clean up after themselves: an interrupted or failed run stays
inspectable. `smallcoder runs clean` calls this. Before removing anything we
check that the directory really is a git worktree of the run's repository,
on the run's own `smallcoder/…` branch, and not the user's working tree; a
worktree holding uncommitted changes is kept unless `force`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.git import git, git_out
from smallcoder.workspace.provision import deprovision
from smallcoder.workspace.worktree import BRANCH_PREFIX


@dataclass
class CleanResult:
    run_id: str
    removed: list[str] = field(default_factory=list)  # what was removed, one phrase each
    kept: list[str] = field(default_factory=list)  # what was left, and why

    @property
    def ok(self) -> bool:
        return not any(k.startswith("refused") for k in self.kept)


def registered_worktrees(repo: Path) -> dict[Path, str | None]:
    """{worktree path: branch ref or None (detached)} as git lists them; the main tree included."""
    out: dict[Path, str | None] = {}
    current: Path | None = None
    for line in git_out(["worktree", "list", "--porcelain"], repo).splitlines():
        if line.startswith("worktree "):
            current = Path(line[len("worktree "):]).resolve()
            out[current] = None
        elif line.startswith("branch ") and current is not None:
            out[current] = line[len("branch "):]
    return out


def clean_run(run_id: str, repo: str | Path, worktree: str | Path, branch: str, *,
              branches: bool = False, force: bool = False, dry_run: bool = False) -> CleanResult:
    """Remove one run's worktree (never the user's tree); its branch too when `branches`."""
    result = CleanResult(run_id)
    repo_path, wt_path = Path(repo), Path(worktree)
    if not branch.startswith(BRANCH_PREFIX):
        result.kept.append(f"refused: branch {branch!r} is not a smallcoder branch")
        return result
    if not (repo_path / ".git").exists():
        result.kept.append(f"refused: repository {repo_path} is gone; remove {wt_path} by hand if you want")
        return result
    repo_path = repo_path.resolve()
    listed = registered_worktrees(repo_path)
    main_tree = next(iter(listed), None)
    wt_real = wt_path.resolve()
    if wt_real == main_tree or wt_real == repo_path:
        result.kept.append("refused: that is your working tree")
        return result

    if wt_real in listed and not wt_real.exists():
        if not dry_run:
            git(["worktree", "prune"], repo_path)  # deleted by hand: drop git's record of it
    elif wt_real in listed:
        if listed[wt_real] != f"refs/heads/{branch}":
            result.kept.append(f"refused: {wt_path} is on {listed[wt_real] or 'a detached HEAD'}, not {branch}")
            return result
        dirty = _dirty(wt_real)
        if dirty and not force:
            result.kept.append(f"refused: {wt_path} has {dirty} uncommitted change(s); commit them, or pass --force")
            return result
        if not dry_run:
            deprovision(wt_real)  # git refuses to remove a worktree holding submodule checkouts
            git(["worktree", "remove", *(["--force"] if dirty else []), str(wt_real)], repo_path)
        result.removed.append(f"worktree {wt_path}")
    elif wt_path.exists():
        result.kept.append(f"refused: {wt_path} is not a worktree of {repo_path}; left alone")
        return result
    elif not dry_run:
        git(["worktree", "prune"], repo_path)  # deleted by hand: drop git's record of it

    exists = git(["rev-parse", "--verify", "-q", f"refs/heads/{branch}"], repo_path, ok_codes=(0, 1)).returncode == 0
    if not exists:
        return result
    if not branches:
        result.kept.append(f"branch {branch} (pass --branches to delete it)")
        return result
    still = registered_worktrees(repo_path) if not dry_run else {k: v for k, v in listed.items() if k != wt_real}
    if f"refs/heads/{branch}" in still.values():
        result.kept.append(f"refused: branch {branch} is checked out in another worktree")
        return result
    if not dry_run:
        try:
            git(["branch", "-D", branch], repo_path)
        except WorkspaceError as e:
            result.kept.append(f"refused: {e}")
            return result
    result.removed.append(f"branch {branch}")
    return result


def _dirty(worktree: Path) -> int:
    """How many changed or untracked (not ignored) paths the worktree holds."""
    return len(git_out(["status", "--porcelain", "--untracked-files=normal"], worktree).splitlines())
