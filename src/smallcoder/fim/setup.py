"""Opening a FIM engine from the user's config: the model spec machinery every command uses
(backends/specs.py), without the sandbox choice of a fix session — completion runs no commands.

When there is no model, the message suggests one made for completion on this machine: the smallest
Qwen2.5-Coder in the catalog with FIM tokens and a GGUF to download that fits here (models/), not the
agent's larger default.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from smallcoder.backends.specs import choose_spec, open_backend
from smallcoder.config import UserConfig
from smallcoder.errors import ModelNotFoundError
from smallcoder.fim.engine import FimEngine, FimOptions
from smallcoder.models.catalog import Catalog, load_catalog
from smallcoder.models.download import RECOMMENDED
from smallcoder.models.hardware import GIB, Hardware, detect_hardware
from smallcoder.models.memory import SizingError, shape_from_catalog
from smallcoder.models.placement import plan
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


@dataclass(frozen=True)
class FimModelPick:
    """A model to suggest for completion: its ``hf:REPO:QUANT`` spec, name and download size in bytes;
    ``fits``: whether it fits this machine (None: the machine could not be read)."""

    spec: str
    name: str
    size_bytes: int
    fits: bool | None

    def describe(self) -> str:
        """``--model SPEC`` with what it is, for a one-line message."""
        size = f", {self.size_bytes / GIB:.1f} GiB" if self.size_bytes else ""
        where = {True: ", fits this machine", False: ", though less memory is free than it needs",
                 None: ""}[self.fits]
        return f"`--model {self.spec}` ({self.name}{size}{where})"


def fim_model_pick(hw: Hardware | None, context: int = FIM_CONTEXT,
                   catalog: Catalog | None = None) -> FimModelPick | None:
    """The smallest Qwen2.5-Coder in the catalog with FIM tokens and a GGUF to download that fits ``hw``
    at ``context`` tokens (models/placement.py); when none fits, or ``hw`` is None, the smallest. None
    when the catalog has no such model."""
    catalog = catalog or load_catalog()
    found = [(m, g) for m in catalog.models if m.family == "qwen2.5-coder" and m.get("fim_format")
             and (g := m.gguf_for()) is not None]
    found.sort(key=lambda mg: float(mg[0].get("params_total_b") or 0))
    picks = []
    for model, gguf in found:
        fits: bool | None = None
        if hw is not None:
            try:
                fits = plan(shape_from_catalog(model, gguf.quant, catalog), hw, context).fits
            except SizingError:
                continue
        pick = FimModelPick(f"hf:{gguf.repo}:{gguf.quant}", model.name, gguf.best_size or 0, fits)
        if fits is not False:
            return pick
        picks.append(pick)
    return picks[0] if picks else None


def _for_completion(e: ModelNotFoundError, no_model: bool, context: int) -> ModelNotFoundError:
    """``e`` with the agent's suggested download replaced by one for completion on this machine."""
    try:
        hw: Hardware | None = detect_hardware()
    except Exception:  # the advice must never hide the error it comes with
        hw = None
    pick = fim_model_pick(hw, context)
    if pick is None:
        return e
    if no_model:
        return ModelNotFoundError(f"no model configured — for completion, pass {pick.describe()} "
                                  "or --model PATH.gguf")
    return ModelNotFoundError(str(e).replace(f"`--model {RECOMMENDED}`", pick.describe()))


def open_engine(config: UserConfig, home: Home, *, options: FimOptions | None = None,
                repo_name: str = "") -> FimEngine:
    """A FimEngine on the configured model. Raises ModelNotFoundError/ConfigError/BackendError (one
    line), BackendError also when the model cannot fill in the middle; the caller closes
    ``engine.backend``. A missing model's message suggests one for completion (``fim_model_pick``)."""
    if config.ctx is None:
        config = replace(config, ctx=FIM_CONTEXT)
    try:
        spec = choose_spec(config, home)
    except ModelNotFoundError as e:
        raise _for_completion(e, True, config.ctx or FIM_CONTEXT) from e
    try:
        backend = open_backend(spec, config, home)
    except ModelNotFoundError as e:
        if RECOMMENDED not in str(e):
            raise
        raise _for_completion(e, False, config.ctx or FIM_CONTEXT) from e
    try:
        return FimEngine(backend, options=options, repo_name=repo_name)
    except BaseException:
        backend.close()
        raise
