"""Fixtures for the field-report classes: an isolated home and a small real git repo with a failing test."""

import subprocess
import sys
from pathlib import Path

import pytest

IDENTITY = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@localhost",
}
# The repos' tests are unittest modules: run them directly, not through pytest's slower start.
UNITTEST = f"{sys.executable} -m unittest -q"
STATS = "def mean(values):\n    return sum(values) / (len(values) - 1)\n"
TEST_STATS = (
    "import unittest\nfrom stats import mean\n\n\nclass T(unittest.TestCase):\n"
    "    def test_mean(self):\n        self.assertEqual(mean([2, 4, 6]), 4)\n"
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SMALLCODER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SMALLCODER_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("SMALLCODER_MODEL", raising=False)
    for k, v in IDENTITY.items():
        monkeypatch.setenv(k, v)
    return tmp_path / "home"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def make_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    """A committed git repo holding `files` (path -> text or bytes, written byte for byte)."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


@pytest.fixture
def mean_repo(tmp_path) -> Path:
    """stats.mean() divides by len - 1; test_stats.py fails until that is fixed."""
    return make_repo(tmp_path / "repo", {"stats.py": STATS, "test_stats.py": TEST_STATS})
