"""Opening a FIM engine from the user's config: the model spec machinery every command uses
(backends/specs.py), without the sandbox choice of a fix session — completion runs no commands.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from smallcoder.backends.specs import choose_spec, open_backend
from smallcoder.config import UserConfig
from smallcoder.fim.engine import FimEngine, FimOptions
from smallcoder.paths import Home

# A FIM prompt is a few thousand tokens: a smaller window loads faster and costs less memory than
# the agent's default; --ctx overrides.
FIM_CONTEXT = 4096


def repo_root(path: Path) -> Path:
    """The git work tree holding ``path``, else its directory."""
    here = path.parent if path.suffix or not path.is_dir() else path
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return here.resolve()
    return Path(out.stdout.strip()).resolve() if out.returncode == 0 and out.stdout.strip() else here.resolve()


def open_engine(config: UserConfig, home: Home, *, options: FimOptions | None = None,
                repo_name: str = "") -> FimEngine:
    """A FimEngine on the configured model. Raises ModelNotFoundError/ConfigError/BackendError (one
    line), BackendError also when the model cannot fill in the middle; the caller closes
    ``engine.backend``."""
    if config.ctx is None:
        config = replace(config, ctx=FIM_CONTEXT)
    backend = open_backend(choose_spec(config, home), config, home)
    try:
        return FimEngine(backend, options=options, repo_name=repo_name)
    except BaseException:
        backend.close()
        raise
