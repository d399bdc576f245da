"""Path confinement: everything a tool touches lies inside the worktree and outside .git."""

from __future__ import annotations

import os

import pytest

from smallcoder.errors import ToolError
from smallcoder.tools.paths import display_path, resolve_path

from .conftest import write


def test_relative_and_absolute_inside(repo):
    write(repo, "src/a.py", "x = 1\n")
    real = repo.resolve() / "src" / "a.py"
    assert resolve_path(repo, "src/a.py") == real
    assert resolve_path(repo, "./src/../src/a.py") == real
    assert resolve_path(repo, str(repo / "src" / "a.py")) == real
    assert resolve_path(repo, "") == repo.resolve()
    assert display_path(repo, real) == "src/a.py"
    assert display_path(repo, repo.resolve()) == "."


def test_new_file_inside_is_allowed(repo):
    assert resolve_path(repo, "new/dir/file.txt") == repo.resolve() / "new" / "dir" / "file.txt"


def test_dotdot_escape_refused(repo):
    with pytest.raises(ToolError, match="path ../outside.txt is outside the repository"):
        resolve_path(repo, "../outside.txt")
    with pytest.raises(ToolError, match="outside the repository"):
        resolve_path(repo, "src/../../x")


def test_absolute_outside_refused(repo, tmp_path):
    with pytest.raises(ToolError, match="outside the repository"):
        resolve_path(repo, str(tmp_path / "elsewhere.txt"))
    with pytest.raises(ToolError, match="outside the repository"):
        resolve_path(repo, "/etc/passwd")


def test_repo_style_absolute_path_is_accepted_when_it_names_a_project_file(repo):
    # Small models write "/src/a.py" meaning the repository's src/a.py.
    write(repo, "src/a.py", "x = 1\n")
    assert resolve_path(repo, "/src/a.py") == repo.resolve() / "src" / "a.py"


def test_symlink_escape_refused(repo, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    os.symlink(secret, repo / "link.txt")
    os.symlink(tmp_path, repo / "linkdir")
    with pytest.raises(ToolError, match="symlink to a location outside the repository"):
        resolve_path(repo, "link.txt")
    with pytest.raises(ToolError, match="outside the repository"):
        resolve_path(repo, "linkdir/secret.txt")


def test_symlink_inside_is_allowed(repo):
    write(repo, "real.txt", "hi\n")
    os.symlink("real.txt", repo / "alias.txt")
    assert resolve_path(repo, "alias.txt") == repo.resolve() / "real.txt"


def test_git_dir_refused(repo):
    for p in [".git", ".git/config", "./.git/HEAD", "sub/.git/x", str(repo / ".git" / "config")]:
        with pytest.raises(ToolError, match="inside .git"):
            resolve_path(repo, p)


def test_symlink_into_git_refused(repo):
    os.symlink(".git/config", repo / "cfg")
    with pytest.raises(ToolError, match="inside .git"):
        resolve_path(repo, "cfg")
