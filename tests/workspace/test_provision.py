"""Provisioning a run's worktree from the user's checkout: real git submodules, real ignored folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from smallcoder.workspace.provision import (
    SUBMODULE_FIX,
    provision_worktree,
    submodule_entries,
)
from smallcoder.workspace.worktree import (
    commit_changes,
    create_worktree,
    remove_worktree,
)

from .conftest import git

FILE_PROTOCOL = ("-c", "protocol.file.allow=always")


def repo_with_submodule(tmp_path: Path, *, checked_out: bool = True) -> Path:
    """The field report's layout: a project importing a helper library vendored as a submodule."""
    lib = tmp_path / "mathlib"
    lib.mkdir()
    (lib / "__init__.py").write_text("")
    (lib / "core.py").write_text("def total(values):\n    return sum(values)\n")
    git(lib, "init", "-q")
    git(lib, "add", "-A")
    git(lib, "commit", "-qm", "lib")
    repo = tmp_path / "repo"
    (repo / "vendor").mkdir(parents=True)
    (repo / "vendor" / "__init__.py").write_text("")
    git(repo, "init", "-q")
    git(repo, *FILE_PROTOCOL, "submodule", "add", "-q", str(lib), "vendor/mathlib")
    (repo / "stats.py").write_text("from vendor.mathlib.core import total\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    if not checked_out:
        git(repo, "submodule", "deinit", "-q", "--all")
    return repo


def test_submodule_files_come_from_the_users_checkout_at_the_recorded_commit(tmp_path: Path) -> None:
    repo = repo_with_submodule(tmp_path)
    lib = tmp_path / "mathlib"
    (lib / "core.py").write_text("def total(values):\n    return -1\n")  # upstream moves on; the pin does not
    git(lib, "commit", "-qam", "later")
    wt = create_worktree(repo, "r1", tmp_path / "wts")
    assert not any((wt.path / "vendor" / "mathlib").iterdir())  # what `git worktree add` leaves
    done = provision_worktree(repo, wt.path)
    assert done.submodules == ["vendor/mathlib"] and not done.missing
    assert "return sum(values)" in (wt.path / "vendor" / "mathlib" / "core.py").read_text()
    assert git(wt.path, "status", "--porcelain") == ""  # the superproject sees the pinned commit, clean
    assert any(p.endswith("/objects") for p in done.read_only)  # borrowed objects: the sandbox must show them
    (wt.path / "stats.py").write_text("from vendor.mathlib.core import total  # edited\n")
    commit_changes(wt, "edit")
    assert git(wt.path, "show", "--stat", "--format=", "HEAD").strip().startswith("stats.py")
    remove_worktree(wt.path, repo)  # git refuses worktrees holding submodules; provisioning is undone first
    assert not wt.path.exists()


def test_a_submodule_the_user_never_checked_out_is_reported_with_the_fix(tmp_path: Path) -> None:
    repo = repo_with_submodule(tmp_path, checked_out=False)
    wt = create_worktree(repo, "r1", tmp_path / "wts")
    done = provision_worktree(repo, wt.path)
    assert [m.path for m in done.missing] == ["vendor/mathlib"]
    message = done.missing[0].message(repo)
    assert "vendor/mathlib" in message and SUBMODULE_FIX in message and "\n" not in message
    assert submodule_entries(wt.path)[0][0] == "vendor/mathlib"


def test_ignored_dependency_folder_is_linked_but_a_tracked_one_never(tmp_path: Path) -> None:
    repo = tmp_path / "web"
    (repo / "node_modules" / "left-pad").mkdir(parents=True)
    (repo / "node_modules" / "left-pad" / "index.js").write_text("module.exports = 1\n")
    (repo / "deps").mkdir()
    (repo / "deps" / "x.txt").write_text("tracked\n")
    (repo / ".gitignore").write_text("node_modules/\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    wt = create_worktree(repo, "r1", tmp_path / "wts")
    done = provision_worktree(repo, wt.path, ("node_modules", "deps", "absent"))
    assert done.linked == ["node_modules"]
    assert (wt.path / "node_modules" / "left-pad").is_symlink()
    assert (wt.path / "node_modules" / "left-pad" / "index.js").is_file()
    assert not (wt.path / "deps").is_symlink()
    assert commit_changes(wt, "nothing") is None  # the link is ignored: never part of the run's commit
    remove_worktree(wt.path, repo)
    assert (repo / "node_modules" / "left-pad" / "index.js").is_file()  # the user's folder is untouched


@pytest.mark.parametrize("nested", [True])
def test_nested_submodules_are_provisioned_too(tmp_path: Path, nested: bool) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "deep.py").write_text("X = 1\n")
    git(inner, "init", "-q")
    git(inner, "add", "-A")
    git(inner, "commit", "-qm", "inner")
    middle = tmp_path / "middle"
    middle.mkdir()
    git(middle, "init", "-q")
    git(middle, *FILE_PROTOCOL, "submodule", "add", "-q", str(inner), "inner")
    git(middle, "commit", "-qm", "middle")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, *FILE_PROTOCOL, "submodule", "add", "-q", str(middle), "middle")
    git(repo, *FILE_PROTOCOL, "submodule", "update", "--init", "--recursive", "-q")
    git(repo, "commit", "-qm", "top")
    wt = create_worktree(repo, "r1", tmp_path / "wts")
    done = provision_worktree(repo, wt.path)
    assert done.submodules == ["middle", "middle/inner"] and not done.missing
    assert (wt.path / "middle" / "inner" / "deep.py").read_text() == "X = 1\n"


def test_clean_removes_a_run_worktree_holding_a_submodule(tmp_path: Path) -> None:
    from smallcoder.workspace.cleanup import clean_run

    repo = repo_with_submodule(tmp_path)
    wt = create_worktree(repo, "r1", tmp_path / "wts")
    provision_worktree(repo, wt.path)
    result = clean_run("r1", repo, wt.path, wt.branch)
    assert result.removed and not wt.path.exists(), result.kept
    assert (repo / "vendor" / "mathlib" / "core.py").is_file()  # the user's submodule checkout stays
