from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smallcoder.store import db_path, smallcoder_home, worktrees_dir

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_home_from_env_is_created_on_demand(home: Path) -> None:
    assert not home.exists()
    assert smallcoder_home() == home
    assert home.is_dir()
    assert db_path() == home / "runs.sqlite3"
    assert worktrees_dir() == home / "worktrees"
    assert (home / "worktrees").is_dir()


def test_home_expands_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SMALLCODER_HOME", "~/sc")
    assert smallcoder_home() == tmp_path / "sc"


def test_home_defaults_to_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("SMALLCODER_HOME", raising=False)
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda name: str(tmp_path / "data" / name))
    assert smallcoder_home() == tmp_path / "data" / "smallcoder"


def test_importing_has_no_side_effects(tmp_path: Path) -> None:
    home = tmp_path / "untouched"
    env = {**os.environ, "SMALLCODER_HOME": str(home), "PYTHONPATH": SRC}
    code = "import smallcoder.store, smallcoder.store.runs, smallcoder.cli.runs"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert not home.exists()
