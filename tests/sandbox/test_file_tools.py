"""The file tools stay inside the worktree: no `..`, no absolute paths elsewhere, no symlink escapes,
nothing in .git; binary and oversized files are refused with a message the model can act on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smallcoder.errors import ToolError
from smallcoder.tools import ToolContext, default_tools
from smallcoder.tools.textio import MAX_TEXT_BYTES

from .conftest import SSH_KEY_MARKER, git, needs_bwrap, sandboxed, snapshot

TOOLS = {t.name: t for t in default_tools()}


def call(ctx: ToolContext, tool: str, **arguments: object) -> str:
    return TOOLS[tool].invoke(ctx, arguments)


@pytest.fixture
def ctx(worktree) -> ToolContext:
    return ToolContext(root=worktree.path)


@pytest.mark.parametrize("path", ["../project/calc.py", "../../escape.txt", "sub/../../escape.txt", "/etc/passwd",
                                  "/tmp/escape.txt"])
def test_paths_outside_the_worktree_are_refused(ctx, path, user_repo):
    before = snapshot(user_repo)
    for tool, args in (("read_file", {}), ("write_file", {"content": "pwned\n"}),
                       ("replace_in_file", {"old": "a", "new": "b"})):
        with pytest.raises(ToolError, match="outside the repository"):
            call(ctx, tool, path=path, **args)
    assert snapshot(user_repo) == before
    assert not Path("/tmp/escape.txt").exists()


def test_the_users_checkout_by_absolute_path_is_refused(ctx, user_repo):
    with pytest.raises(ToolError, match="outside the repository"):
        call(ctx, "write_file", path=str(user_repo / "calc.py"), content="pwned\n")
    assert "pwned" not in (user_repo / "calc.py").read_text()


def test_symlinks_leading_outside_are_refused(ctx, worktree, isolated_env, user_repo):
    wt = worktree.path
    (wt / "key").symlink_to(isolated_env / ".ssh" / "id_ed25519")
    (wt / "theirs").symlink_to(user_repo)
    (wt / "up").symlink_to("..")
    for path in ("key", "theirs/calc.py", "up/project/calc.py"):
        with pytest.raises(ToolError, match="symlink to a location outside|outside the repository"):
            call(ctx, "read_file", path=path)
        with pytest.raises(ToolError, match="symlink to a location outside|outside the repository"):
            call(ctx, "write_file", path=path, content="pwned\n")
    assert SSH_KEY_MARKER in (isolated_env / ".ssh" / "id_ed25519").read_text()
    assert "pwned" not in (user_repo / "calc.py").read_text()


def test_a_symlink_inside_the_worktree_is_fine(ctx, worktree):
    (worktree.path / "alias.py").symlink_to("calc.py")
    assert "return a + b" in call(ctx, "read_file", path="alias.py")


@pytest.mark.parametrize("path", [".git", ".git/config", ".git/HEAD", "sub/.git/config", "./.git/hooks/pre-commit"])
def test_git_internals_are_refused(ctx, worktree, path):
    with pytest.raises(ToolError, match=r"inside \.git"):
        call(ctx, "write_file", path=path, content="[core]\n\tfsmonitor = evil\n")
    assert (worktree.path / ".git").is_file()  # a worktree's .git link file, untouched


def test_a_symlink_to_git_internals_is_refused(ctx, worktree, user_repo):
    (worktree.path / "cfg").symlink_to(user_repo / ".git" / "config")
    with pytest.raises(ToolError):
        call(ctx, "write_file", path="cfg", content="[core]\n\tfsmonitor = evil\n")
    assert "fsmonitor" not in (user_repo / ".git" / "config").read_text()


def test_binary_and_oversized_files_are_refused_clearly(ctx, worktree):
    (worktree.path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    with pytest.raises(ToolError, match="binary file"):
        call(ctx, "read_file", path="logo.png")
    with pytest.raises(ToolError, match="binary file"):
        call(ctx, "replace_in_file", path="logo.png", old="PNG", new="GIF")
    with pytest.raises(ToolError, match="binary file"):
        call(ctx, "write_file", path="logo.png", content="text now\n")
    big = worktree.path / "data.csv"
    with open(big, "wb") as f:  # sparse: the size is real, the disk use is not
        f.truncate(MAX_TEXT_BYTES + 1)
    with pytest.raises(ToolError, match="too large to read"):
        call(ctx, "read_file", path="data.csv")
    with pytest.raises(ToolError, match="too large to write"):
        call(ctx, "write_file", path="huge.txt", content="x" * (MAX_TEXT_BYTES + 1))
    assert not (worktree.path / "huge.txt").exists()


@needs_bwrap
def test_links_made_by_a_sandboxed_command_do_not_let_file_tools_escape(sandbox, ctx, worktree, user_repo):
    """A command plants links; the file tools must not follow them out afterwards."""
    before = snapshot(user_repo)
    res = sandboxed(sandbox, f"ln -s {user_repo}/calc.py soft.py; ln {user_repo}/calc.py hard.py; "
                    "ln /etc/hostname hard2 ; ln -s ../../.. top")
    assert not (worktree.path / "hard.py").exists() and not (worktree.path / "hard2").exists(), res.output
    for path in ("soft.py", "top/etc/passwd"):
        with pytest.raises(ToolError):
            call(ctx, "write_file", path=path, content="pwned\n")
    assert snapshot(user_repo) == before
    assert os.stat(user_repo / "calc.py").st_nlink == 1
    assert git(user_repo, "status", "--porcelain") == before["status"]
