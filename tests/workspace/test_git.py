from __future__ import annotations

from pathlib import Path

import pytest

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.git import find_repo_root

from .conftest import git


def test_repo_root_from_root_subdir_and_file(repo: Path) -> None:
    assert find_repo_root(repo) == repo.resolve()
    assert find_repo_root(repo / "src") == repo.resolve()
    assert find_repo_root(repo / "src" / "app.py") == repo.resolve()


def test_not_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(WorkspaceError, match=r"is not a git repository — run `git init` there, or pass --init"):
        find_repo_root(plain)
    assert not (plain / ".git").exists()


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        find_repo_root(tmp_path / "nope")


def test_init_makes_a_repository_with_an_initial_commit(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    (plain / "pkg").mkdir(parents=True)
    (plain / "pkg" / "mod.py").write_text("x = 1\n")
    (plain / "notes with space é.txt").write_text("hi\n")
    root = find_repo_root(plain, init=True)
    assert root == plain.resolve()
    assert git(root, "status", "--porcelain") == ""
    files = git(root, "ls-files", "-z").split("\0")
    assert "pkg/mod.py" in files and "notes with space é.txt" in files
    assert find_repo_root(plain) == root  # now usable without --init


def test_repository_without_commits(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    (empty / "a.txt").write_text("a\n")
    with pytest.raises(WorkspaceError, match="has no commits yet"):
        find_repo_root(empty)
    assert find_repo_root(empty, init=True) == empty.resolve()
    assert git(empty, "ls-files") == "a.txt\n"


def test_init_commits_without_any_configured_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_git: Path
) -> None:
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(key)
    # Make git refuse to guess an identity, as on a fresh machine.
    isolated_git.write_text("[user]\n\tuseConfigOnly = true\n")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_text("a\n")
    root = find_repo_root(plain, init=True)
    assert git(root, "log", "-1", "--format=%an <%ae>").strip() == "smallcoder <smallcoder@localhost>"


def test_git_missing_is_a_clear_error(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    with pytest.raises(WorkspaceError, match="git is not installed"):
        find_repo_root(repo)
