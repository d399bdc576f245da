"""Real git repositories in tmp_path, with git isolated from the machine's own configuration."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable

import pytest

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
}


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No global or system git config, a fixed identity in the environment; returns the global config path."""
    home = tmp_path_factory.mktemp("home")
    config = home / ".gitconfig"
    config.write_text("[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "EMAIL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    return config


def git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    """Run git in a test, failing loudly; stdout as text."""
    proc = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr.decode(errors='replace')}"
    return proc.stdout.decode("utf-8", "surrogateescape")


def tree_state(repo: Path) -> dict[str, object]:
    """Everything about a user's checkout that smallcoder must leave exactly as it was."""
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            key = os.path.relpath(full, repo)
            files[key] = os.readlink(full).encode() if os.path.islink(full) else Path(full).read_bytes()
    return {
        "status": git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored"),
        "head": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "symbolic-ref", "-q", "HEAD"),
        "stash": git(repo, "stash", "list"),
        "index": git(repo, "ls-files", "-s", "-z"),
        # Run branches are expected to appear; every other ref must stay put.
        "refs": [
            line
            for line in git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/stash").splitlines()
            if not line.startswith("refs/heads/smallcoder/")
        ],
        "files": files,
    }


def make_repo(path: Path, files: dict[str, str | bytes] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    for name, content in (files or {"README.md": "hello\n", "src/app.py": "def add(a, b):\n    return a - b\n"}).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture
def worktrees(tmp_path: Path) -> Path:
    return tmp_path / "worktrees"


RepoFactory = Callable[..., Path]


@pytest.fixture
def new_repo(tmp_path: Path) -> RepoFactory:
    def factory(name: str = "other", files: dict[str, str | bytes] | None = None) -> Path:
        return make_repo(tmp_path / name, files)

    return factory
