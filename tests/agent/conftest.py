import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

IDENTITY = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@localhost",
}


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


@pytest.fixture
def example_repo(tmp_path) -> Path:
    """The bundled example: stats.mean() divides by len - 1."""
    repo = tmp_path / "repo"
    with resources.as_file(resources.files("smallcoder").joinpath("examples", "mean_bug")) as src:
        shutil.copytree(src, repo, ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    return repo


def snapshot(repo: Path) -> dict:
    """Everything about the user's checkout that a run must not change."""
    files = {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts and "__pycache__" not in p.parts
    }
    return {
        "files": files,
        "status": git(repo, "status", "--porcelain"),
        "head": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "rev-parse", "--abbrev-ref", "HEAD"),
        "stash": git(repo, "stash", "list"),
    }
