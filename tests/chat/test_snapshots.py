"""Snapshots of a real run worktree: taken and restored without moving any ref, index or the user's tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.snapshots import SNAPSHOT_REF, Snapshots
from smallcoder.workspace.worktree import Worktree

from .conftest import git


def test_restore_brings_back_tracked_untracked_deleted_and_modes(worktree: Worktree) -> None:
    wt = worktree.path
    (wt / "notes.txt").write_text("untracked before\n")
    (wt / "run.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(wt / "run.sh", 0o755)
    snaps = Snapshots(wt)
    before = snaps.take("before tool")

    (wt / "stats.py").write_text("def mean(xs):\n    return sum(xs) / len(xs)\n")
    (wt / "notes.txt").unlink()
    os.chmod(wt / "run.sh", 0o644)
    (wt / "pkg" / "deep").mkdir(parents=True)
    (wt / "pkg" / "deep" / "new.py").write_text("x = 1\n")
    (wt / "x.cache").write_text("ignored, kept\n")

    changed = snaps.restore(before)

    assert changed == ["notes.txt", "pkg/deep/new.py", "run.sh", "stats.py"]
    assert "len(xs) - 1" in (wt / "stats.py").read_text()
    assert (wt / "notes.txt").read_text() == "untracked before\n"
    assert os.access(wt / "run.sh", os.X_OK)
    assert not (wt / "pkg").exists()  # emptied directories go too
    assert (wt / "x.cache").read_text() == "ignored, kept\n"
    assert snaps.current_tree() == snaps.tree_of(before)
    assert snaps.restore(before) == []  # already there: nothing to do


def test_redo_after_undo_and_diff_between_snapshots(worktree: Worktree) -> None:
    wt = worktree.path
    snaps = Snapshots(wt)
    a = snaps.take("a")
    (wt / "stats.py").write_text("def mean(xs):\n    return sum(xs) / len(xs)\n")
    b = snaps.take("b")
    snaps.restore(a)
    assert "len(xs) - 1" in (wt / "stats.py").read_text()
    snaps.restore(b)
    assert "len(xs) - 1" not in (wt / "stats.py").read_text()
    patch = snaps.diff(a, b)
    assert "-    return sum(xs) / (len(xs) - 1)" in patch and "+    return sum(xs) / len(xs)" in patch


def test_no_branch_head_index_or_user_tree_moves(repo: Path, worktree: Worktree) -> None:
    wt = worktree.path
    refs_before = git(repo, "for-each-ref")
    head, index = git(wt, "rev-parse", "HEAD"), git(wt, "ls-files", "-s")
    snaps = Snapshots(wt)
    first = snaps.take("one")
    (wt / "new.py").write_text("y = 2\n")
    second = snaps.take("two")
    snaps.restore(first)
    assert git(repo, "for-each-ref") == refs_before  # the user's refs (and stash) are as they were
    assert git(repo, "status", "--porcelain") == ""
    assert git(wt, "rev-parse", "HEAD") == head and git(wt, "ls-files", "-s") == index
    # every snapshot stays reachable from the worktree's private ref, so gc keeps it
    assert git(wt, "rev-parse", SNAPSHOT_REF).strip() == second
    assert first in git(wt, "rev-list", SNAPSHOT_REF)
    assert snaps.exists(first) and not snaps.exists("0" * 40)


def test_refuses_a_main_checkout(repo: Path) -> None:
    with pytest.raises(WorkspaceError, match="main working tree"):
        Snapshots(repo)


def test_file_replaced_by_directory_and_back(worktree: Worktree) -> None:
    wt = worktree.path
    snaps = Snapshots(wt)
    before = snaps.take("file")
    (wt / "stats.py").unlink()
    (wt / "stats.py").mkdir()
    (wt / "stats.py" / "inner.py").write_text("z = 3\n")
    snaps.restore(before)
    assert (wt / "stats.py").is_file() and "def mean" in (wt / "stats.py").read_text()
