"""One attempt's worktree state kept as a snapshot and brought back exactly (workspace/attempts.py)."""

import os
from pathlib import Path

from smallcoder.workspace.attempts import changed_lines, restore_worktree, snapshot_worktree
from smallcoder.workspace.diff import worktree_diff
from smallcoder.workspace.worktree import create_worktree, reset_worktree

from .conftest import git, tree_state


def files(root: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, dirnames, names in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        out.update({os.path.relpath(os.path.join(dirpath, n), root): Path(dirpath, n).read_bytes() for n in names})
    return out


def test_a_snapshot_brings_back_edits_new_binary_and_deleted_files_and_leaves_the_user_alone(repo, worktrees):
    user = tree_state(repo)
    wt = create_worktree(repo, "run1", worktrees)
    (wt.path / "src" / "app.py").write_text("def add(a, b):\n    return a + b\n")
    (wt.path / "README.md").unlink()
    (wt.path / "data.bin").write_bytes(bytes(range(256)))
    (wt.path / "new" / "deep").mkdir(parents=True)
    (wt.path / "new" / "deep" / "x.py").write_text("X = 1\n")
    (wt.path / "run.sh").write_text("#!/bin/sh\n")
    (wt.path / "run.sh").chmod(0o755)
    state, diff = files(wt.path), worktree_diff(wt)
    index = git(wt.path, "ls-files", "-s")
    kept = snapshot_worktree(wt)
    # app.py 1+1, README.md 1 removed, data.bin 1 (binary), x.py 1, run.sh 1
    assert changed_lines(wt, kept) == 6

    reset_worktree(wt)  # the next attempt writes other things
    (wt.path / "src" / "app.py").write_text("def add(a, b):\n    return 0\n")
    (wt.path / "other.py").write_text("Y = 2\n")
    restore_worktree(wt, kept)

    assert files(wt.path) == state and worktree_diff(wt) == diff
    assert os.access(wt.path / "run.sh", os.X_OK)
    assert git(wt.path, "ls-files", "-s") == index  # the index is back at the base, as after the agent's edits
    assert git(wt.path, "rev-parse", "HEAD").strip() == wt.base_commit
    assert tree_state(repo) == user


def test_a_snapshot_of_an_unchanged_worktree_restores_to_the_base(repo, worktrees):
    wt = create_worktree(repo, "run1", worktrees)
    kept = snapshot_worktree(wt)
    assert changed_lines(wt, kept) is None
    (wt.path / "stray.txt").write_text("later\n")
    restore_worktree(wt, kept)
    assert worktree_diff(wt) == ""
