"""The `plan` mode's boundary: a real bubblewrap sandbox with the worktree mounted read-only."""

from __future__ import annotations

import pytest

from smallcoder.config import SandboxSettings
from smallcoder.sandbox import choose_isolation, open_sandbox
from smallcoder.sandbox.bwrap import probe
from smallcoder.workspace.runner import run_command
from smallcoder.workspace.worktree import Worktree

needs_bwrap = pytest.mark.skipif(not probe().usable, reason="bubblewrap cannot run here")


@needs_bwrap
def test_commands_read_but_cannot_write_a_read_only_worktree(worktree: Worktree) -> None:
    isolation = choose_isolation(SandboxSettings(mode="bwrap"))
    with open_sandbox(isolation, worktree.path, repo=worktree.repo, read_only_worktree=True) as sandbox:
        read = run_command("cat stats.py", worktree.path, timeout=30, max_output_chars=4000, wrap=sandbox.wrap)
        write = run_command("echo x > stats.py; touch new.txt", worktree.path, timeout=30, max_output_chars=4000,
                            wrap=sandbox.wrap)
        assert sandbox.record()["mounts"]["writable"] == []
    assert read.exit_code == 0 and "def mean" in read.output
    assert write.exit_code != 0 and "Read-only file system" in write.output
    assert "def mean" in (worktree.path / "stats.py").read_text() and not (worktree.path / "new.txt").exists()


@needs_bwrap
def test_default_stays_writable(worktree: Worktree) -> None:
    isolation = choose_isolation(SandboxSettings(mode="bwrap"))
    with open_sandbox(isolation, worktree.path, repo=worktree.repo) as sandbox:
        res = run_command("touch new.txt", worktree.path, timeout=30, max_output_chars=4000, wrap=sandbox.wrap)
    assert res.exit_code == 0 and (worktree.path / "new.txt").exists()
