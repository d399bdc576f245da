"""The Home value: read once from the environment, directories made only when used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from smallcoder.paths import Home

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_home_from_env_creates_directories_on_demand(tmp_path: Path) -> None:
    root = tmp_path / "sc"
    home = Home.from_env({"SMALLCODER_HOME": str(root)})
    assert home.root == root and not root.exists()
    assert home.db == root / "runs.sqlite3" and root.is_dir()
    assert home.worktrees == root / "worktrees" and home.worktrees.is_dir()
    assert home.models == root / "models" and home.cache == root / "cache"


def test_home_expands_user_and_takes_a_models_override(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "SMALLCODER_HOME": "~/sc", "SMALLCODER_MODELS_DIR": str(tmp_path / "shared")}
    old = os.environ.get("HOME")
    os.environ["HOME"] = str(tmp_path)  # expanduser reads the process environment
    try:
        home = Home.from_env(env)
    finally:
        if old is not None:
            os.environ["HOME"] = old
    assert home.root == tmp_path / "sc"
    assert home.models == tmp_path / "shared"


def test_home_defaults_to_the_user_data_dir() -> None:
    import platformdirs

    assert Home.from_env({}).root == Path(platformdirs.user_data_dir("smallcoder"))


def test_importing_has_no_side_effects(tmp_path: Path) -> None:
    home = tmp_path / "untouched"
    env = {**os.environ, "SMALLCODER_HOME": str(home), "PYTHONPATH": SRC}
    code = "import smallcoder.store, smallcoder.store.runs, smallcoder.cli.app, smallcoder.session.setup"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert not home.exists()
