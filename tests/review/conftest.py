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
# The project's own tests for stats.py: the change in STATS_V2 breaks test_mean_of_nothing_is_zero.
TESTS = '''from stats import mean, total


def test_total():
    assert total([1, 2]) == 3


def test_mean_of_nothing_is_zero():
    assert mean([]) == 0.0


def test_mean():
    assert mean([2, 4]) == 3
'''
OTHER = '"""Untouched."""\n\n\ndef name():\n    return "other"\n'


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SMALLCODER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SMALLCODER_CONFIG", str(tmp_path / "no-config.toml"))
    for k, v in IDENTITY.items():
        monkeypatch.setenv(k, v)


def two_commits(root: Path, new_stats: str, files: dict[str, str], message: str) -> Path:
    """A repository at `root`: the clean stats.py (and `files`), then a commit changing stats.py to `new_stats`."""
    root.mkdir()
    (root / "stats.py").write_text(STATS_V1)
    for name, text in files.items():
        (root / name).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "stats")
    (root / "stats.py").write_text(new_stats)
    git(root, "commit", "-q", "-am", message)
    return root


@pytest.fixture
def repo(tmp_path) -> Path:
    """Two commits: the clean stats.py, then the change that drops the empty-list guard."""
    return two_commits(tmp_path / "proj", STATS_V2, {"other.py": OTHER}, "mean: simpler")


STATS_NO_GUARD = STATS_V1.replace("    if not values:\n        return 0.0\n", "")


@pytest.fixture
def repo_deletion(tmp_path) -> Path:
    """Two commits: the clean stats.py, then a change that only deletes the empty-list guard."""
    return two_commits(tmp_path / "proj-del", STATS_NO_GUARD, {}, "mean: no guard")
