"""Real bubblewrap, real git repositories in tmp_path, real commands. Nothing about the sandbox is mocked."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from smallcoder.sandbox import Limits, SandboxSettings, choose_isolation, open_sandbox
from smallcoder.sandbox.bwrap import probe
from smallcoder.workspace.runner import CommandResult, run_command
from smallcoder.workspace.worktree import create_worktree

IDENTITY = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@localhost",
}
SSH_KEY_MARKER = "PRIVATE-KEY-MARKER-5f2a"
# Tight limits keep the attack tests cheap on a small machine; each test may loosen what it needs.
TEST_LIMITS = Limits(cpu_s=60, memory_mb=2048, file_mb=8, processes=64, open_files=1024, tmp_mb=16)

needs_bwrap = pytest.mark.skipif(not probe().usable, reason=f"bubblewrap is not usable here: {probe().reason}")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """A fake home holding ssh keys, smallcoder's data under tmp_path, a fixed git identity."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SSH_KEY_MARKER}\n")
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SMALLCODER_HOME", str(tmp_path / "sc-home"))
    monkeypatch.setenv("SMALLCODER_CONFIG", str(tmp_path / "no-config.toml"))
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    return home


@pytest.fixture
def user_repo(tmp_path) -> Path:
    """The user's checkout: a committed project with a test, on branch main, plus uncommitted work."""
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (repo / "test_calc.py").write_text("from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    # A remote whose URL carries a token, as CI checkouts and careless clones do.
    git(repo, "remote", "add", "origin", "https://x:ghp_abcdefghijklmnopqrstuvwxyz012345@example.com/o/r.git")
    (repo / "notes.txt").write_text("my uncommitted notes\n")
    return repo


@pytest.fixture
def worktree(user_repo, tmp_path):
    return create_worktree(user_repo, "run1", tmp_path / "worktrees")


def settings(**overrides) -> SandboxSettings:
    return replace(SandboxSettings(limits=TEST_LIMITS), **overrides)


@pytest.fixture
def sandbox(worktree, user_repo):
    box = open_sandbox(choose_isolation(settings(mode="bwrap")), worktree.path, repo=user_repo, run_id="run1")
    yield box
    box.close()


def sandboxed(box, command: str, *, timeout: float = 20, max_chars: int = 20_000) -> CommandResult:
    return run_command(command, box.worktree, timeout=timeout, max_output_chars=max_chars, wrap=box.wrap,
                       env=box.runner_env)


def snapshot(repo: Path) -> dict:
    """Everything about the user's checkout that a run must not change."""
    files = {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts and "__pycache__" not in p.parts
    }
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags")
    return {
        "files": files,
        "status": git(repo, "status", "--porcelain"),
        "head": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "rev-parse", "--abbrev-ref", "HEAD"),
        "user_refs": [r for r in refs.splitlines() if "smallcoder/" not in r],
        "config": (repo / ".git" / "config").read_bytes(),
        "stash": git(repo, "stash", "list"),
    }


def leftover_processes(marker: str) -> list[str]:
    """Host processes whose command line holds `marker` (a sandboxed command must leave none)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found


def hermes(name: str, **arguments: object) -> str:
    """A model output calling one tool, in the Hermes format Qwen models use."""
    import json

    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"
