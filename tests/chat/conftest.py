"""Real git repositories and run worktrees for the chat tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from smallcoder.workspace.worktree import Worktree, create_worktree

STATS = '''def mean(xs):
    return sum(xs) / (len(xs) - 1)
'''
TEST_STATS = '''from stats import mean


def test_mean():
    assert mean([2, 4, 6]) == 4
'''


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small Python project with one failing test, committed, plus an ignored cache file."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "stats.py").write_text(STATS)
    (root / "test_stats.py").write_text(TEST_STATS)
    (root / ".gitignore").write_text("__pycache__/\n*.cache\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "project")
    return root


@pytest.fixture
def worktree(repo: Path, tmp_path: Path) -> Worktree:
    return create_worktree(repo, "chat-test", tmp_path / "worktrees")
