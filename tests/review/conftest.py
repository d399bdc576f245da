"""A real git repository with a real change to review: a helper whose edit divides by len() of a
list that may be empty (the seeded bug), plus an untouched file."""

import subprocess
from pathlib import Path

import pytest

IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@localhost"}

STATS_V1 = '''"""Small statistics helpers."""


def total(values):
    """The sum of values."""
    result = 0
    for v in values:
        result += v
    return result


def mean(values):
    """The average of values; 0.0 for no values."""
    if not values:
        return 0.0
    return total(values) / len(values)
'''
STATS_V2 = STATS_V1.replace('''    if not values:
        return 0.0
    return total(values) / len(values)''', '''    count = len(values)
    return total(values) / count''')
OTHER = '"""Untouched."""\n\n\ndef name():\n    return "other"\n'


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SMALLCODER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SMALLCODER_CONFIG", str(tmp_path / "no-config.toml"))
    for k, v in IDENTITY.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
def repo(tmp_path) -> Path:
    """Two commits: the clean stats.py, then the change that drops the empty-list guard."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "stats.py").write_text(STATS_V1)
    (root / "other.py").write_text(OTHER)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "stats")
    (root / "stats.py").write_text(STATS_V2)
    git(root, "commit", "-q", "-am", "mean: simpler")
    return root


STATS_NO_GUARD = STATS_V1.replace("    if not values:\n        return 0.0\n", "")


@pytest.fixture
def repo_deletion(tmp_path) -> Path:
    """Two commits: the clean stats.py, then a change that only deletes the empty-list guard."""
    root = tmp_path / "proj-del"
    root.mkdir()
    (root / "stats.py").write_text(STATS_V1)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "stats")
    (root / "stats.py").write_text(STATS_NO_GUARD)
    git(root, "commit", "-q", "-am", "mean: no guard")
    return root
