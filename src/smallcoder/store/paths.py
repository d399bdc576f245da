"""Where smallcoder keeps its data: the run database and the per-run worktrees.

Nothing here touches the disk at import time; each function creates its
directory when it is called.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "SMALLCODER_HOME"


def smallcoder_home() -> Path:
    """`$SMALLCODER_HOME` if set, else the platform's user data dir; created if missing."""
    override = os.environ.get(HOME_ENV)
    home = Path(override).expanduser() if override else Path(platformdirs.user_data_dir("smallcoder"))
    home.mkdir(parents=True, exist_ok=True)
    return home


def db_path() -> Path:
    return smallcoder_home() / "runs.sqlite3"


def worktrees_dir() -> Path:
    path = smallcoder_home() / "worktrees"
    path.mkdir(parents=True, exist_ok=True)
    return path
