"""Where smallcoder keeps its data: one `Home` value, read once and passed explicitly.

    home = Home.from_env()          # $SMALLCODER_HOME, else the platform's user data dir
    home.db                         # the run store (SQLite)
    home.worktrees                  # one git worktree per run
    home.models                     # downloaded GGUF files ($SMALLCODER_MODELS_DIR overrides)
    home.cache                      # caches that can be rebuilt (repo maps, prompt states)

Nothing touches the disk at import time or when a Home is made; each directory
is created when its property is first read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

HOME_ENV = "SMALLCODER_HOME"
MODELS_ENV = "SMALLCODER_MODELS_DIR"


@dataclass(frozen=True)
class Home:
    """smallcoder's data directory and the places inside it."""

    root: Path
    models_override: Path | None = None  # $SMALLCODER_MODELS_DIR: models kept elsewhere (a shared disk)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Home:
        """`$SMALLCODER_HOME` if set, else the platform's user data dir (nothing is created yet)."""
        env = os.environ if environ is None else environ
        root = Path(env[HOME_ENV]).expanduser() if env.get(HOME_ENV) else Path(platformdirs.user_data_dir("smallcoder"))
        models = Path(env[MODELS_ENV]).expanduser() if env.get(MODELS_ENV) else None
        return cls(root, models)

    def _dir(self, path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def db(self) -> Path:
        """The run store's SQLite file (its directory is created)."""
        self._dir(self.root)
        return self.root / "runs.sqlite3"

    @property
    def worktrees(self) -> Path:
        return self._dir(self.root / "worktrees")

    @property
    def models(self) -> Path:
        return self._dir(self.models_override or self.root / "models")

    @property
    def cache(self) -> Path:
        return self._dir(self.root / "cache")
