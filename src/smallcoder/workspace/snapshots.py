"""Undo without commits: snapshots of a run's worktree as git commits that no branch points to.

    snaps = Snapshots(worktree)
    before = snaps.take("before write_file")     # commit sha: tracked + untracked, non-ignored files
    ...                                           # the model edits, runs commands
    snaps.restore(before)                         # the files are exactly as they were
    snaps.diff(before, snaps.take("now"))         # a unified diff between two snapshots

A snapshot is `git add -A` into a private copy of the index, `write-tree`, then
`commit-tree` — the same recipe as `git stash create`, without touching the
stash, HEAD, the real index or any branch. The commits are chained (each one's
parent is the previous snapshot) and the chain's tip is kept in a per-worktree
ref (`refs/worktree/smallcoder/snapshots`, private to the run's worktree and
never listed in the user's checkout), so `git gc` keeps every snapshot of a
conversation that can still be resumed.
"""

from __future__ import annotations

import os
from pathlib import Path

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.git import commit_config, git, git_out
from smallcoder.workspace.snapshot import scratch_index, stage_everything

SNAPSHOT_REF = "refs/worktree/smallcoder/snapshots"
DIFF_ARGS = ("diff", "--no-color", "--no-ext-diff", "--binary", "--no-renames", "-U3")


class Snapshots:
    """Takes and restores snapshots of one worktree (never the user's own checkout).

    Raises WorkspaceError when git fails (the message carries git's own words).
    """

    def __init__(self, worktree: Path) -> None:
        self.root = Path(worktree).resolve()
        if (self.root / ".git").is_dir():
            # A main checkout has a .git directory; run worktrees have a .git file. Restoring deletes files.
            raise WorkspaceError(f"{self.root} is a main working tree; snapshots are for run worktrees only")

    def tree_of(self, commit: str) -> str:
        """The tree id a snapshot commit records."""
        return git_out(["rev-parse", f"{commit}^{{tree}}"], self.root)

    def current_tree(self) -> str:
        """Tree id of the files on disk now (tracked as they are, plus untracked non-ignored files)."""
        with scratch_index(self.root) as env:
            stage_everything(self.root, env)
            return git_out(["write-tree"], self.root, env=env)

    def take(self, label: str) -> str:
        """Record the worktree as it is now; returns the snapshot's commit sha. `label` is its message."""
        tree = self.current_tree()
        parent = self._tip() or git_out(["rev-parse", "HEAD"], self.root)
        sha = git_out(["commit-tree", tree, "-p", parent, "-m", label or "snapshot"], self.root,
                      config=commit_config(self.root))
        git(["update-ref", SNAPSHOT_REF, sha], self.root)
        return sha

    def _tip(self) -> str | None:
        proc = git(["rev-parse", "--verify", "-q", SNAPSHOT_REF], self.root, ok_codes=(0, 1))
        return proc.stdout.decode().strip() or None

    def exists(self, commit: str) -> bool:
        """Whether `commit` is still in the object store (a resumed chat checks its snapshots)."""
        proc = git(["cat-file", "-e", f"{commit}^{{commit}}"], self.root, ok_codes=(0, 1, 128))
        return proc.returncode == 0

    def restore(self, commit: str) -> list[str]:
        """Make the worktree's non-ignored files exactly those of snapshot `commit`.

        Files written since are removed, changed ones rewritten, deleted ones brought back (modes and
        symlinks as recorded); ignored files (caches, virtualenvs) are left alone, and neither the real
        index nor HEAD moves. Returns the paths that changed, sorted.
        """
        target = self.tree_of(commit)
        now = self.current_tree()
        if now == target:
            return []
        changed = self._names(now, target, "")
        for rel in self._names(target, now, "A"):  # present now, absent in the snapshot
            path = self.root / rel
            if path.is_symlink() or path.is_file():
                path.unlink()
            _prune_empty_parents(path.parent, self.root)
        with scratch_index(self.root) as env:
            git(["read-tree", target], self.root, env=env)
            # -f overwrites; every file of the snapshot is written back, with its recorded mode.
            git(["checkout-index", "-a", "-f"], self.root, env=env)
        return changed

    def diff(self, old: str, new: str, paths: tuple[str, ...] = ()) -> str:
        """Unified diff (git's format, binary-safe) from snapshot/commit `old` to `new`."""
        raw = git([*DIFF_ARGS, old, new, "--", *paths], self.root).stdout
        return raw.decode("utf-8", "surrogateescape")

    def diff_trees(self, old_tree: str, new_tree: str) -> str:
        """Unified diff between two tree ids (what `/apply` sends to the user's tree)."""
        raw = git([*DIFF_ARGS, old_tree, new_tree], self.root).stdout
        return raw.decode("utf-8", "surrogateescape")

    def _names(self, old: str, new: str, kinds: str) -> list[str]:
        """Paths that differ from tree `old` to tree `new`, filtered by git's --diff-filter letters."""
        args = ["diff", "--name-only", "-z", "--no-renames"]
        if kinds:
            args.append(f"--diff-filter={kinds}")
        out = git([*args, old, new], self.root).stdout
        return sorted(n.decode("utf-8", "surrogateescape") for n in out.split(b"\0") if n)


def _prune_empty_parents(directory: Path, root: Path) -> None:
    """Remove directories left empty by a restore, up to (not including) the worktree root."""
    while directory != root and directory.is_relative_to(root):
        try:
            os.rmdir(directory)
        except OSError:
            return
        directory = directory.parent
