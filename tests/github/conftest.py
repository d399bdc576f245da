"""Fixtures: an isolated home, a fake GitHub API on loopback, and a real project with a bare `origin`."""

import subprocess
from pathlib import Path

import pytest

from .fake_github import FakeGitHub

TOKEN = "ghp_valid"
IDENTITY = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@localhost",
}
GITHUB_VARS = ("GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GITHUB_API_URL",
               "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "SMALLCODER_MODEL")

TEXTUTIL = '''"""Helpers for titles."""


def slugify(title):
    """Lower-case words joined by '-', punctuation dropped: "Hello, World!" -> "hello-world"."""
    words = title.lower().split(" ")
    return "-".join(word.strip(",.!?") for word in words)
'''
TEST_TEXTUTIL = '''from textutil import slugify


def test_slugify_joins_words():
    assert slugify("Hello, World!") == "hello-world"
'''
ISSUE_BODY = """<!-- Please describe the bug -->
`slugify("Hello  World")` returns `"hello--world"`: two spaces in a title give a double dash.
Expected `"hello-world"`.
"""


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SMALLCODER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SMALLCODER_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("GH_CONFIG_DIR", str(tmp_path / "gh-config"))  # never the developer's own gh login
    for name in GITHUB_VARS:
        monkeypatch.delenv(name, raising=False)
    for k, v in IDENTITY.items():
        monkeypatch.setenv(k, v)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def fake_github(monkeypatch):
    with FakeGitHub(tokens=(TOKEN,)) as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        yield fake


@pytest.fixture
def remote(tmp_path) -> Path:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    return bare


@pytest.fixture
def project(tmp_path, remote) -> Path:
    """A small Python project with a bug its tests miss, pushed to a bare `origin`."""
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "textutil.py").write_text(TEXTUTIL)
    (repo / "test_textutil.py").write_text(TEST_TEXTUTIL)
    (repo / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "textutil")
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    return repo


@pytest.fixture
def hosted(fake_github, project, remote):
    """The project's GitHub side: acme/textutil with open issue #7 about the bug."""
    fake_github.add_repo("acme/textutil", bare=remote)
    fake_github.add_issue("acme/textutil", 7, "slugify gives a double dash for two spaces", ISSUE_BODY,
                          labels=("bug", "smallcoder"), comments=(("maintainer", "Confirmed on main."),))
    return fake_github
