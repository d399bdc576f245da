"""What Ollama says about a model, and the one num_ctx we use for the whole run.

Ollama's traps (reference/model-formats.md §5.1, landscape.md §2 items 1–2):
- its default window (2048, 4096 or VRAM-tiered, by version) silently drops the
  oldest messages of a longer prompt; so we always send `options.num_ctx`;
- a request whose num_ctx differs from the loaded model's reloads the model;
  so the value is chosen once, here, and never changes during the run.

The choice, in order: the user's --ctx (capped at the trained window); the window
of the model as Ollama already has it loaded, when large enough for an agent (no
reload at all); the Modelfile's `PARAMETER num_ctx`; else the trained window,
capped so the KV cache fits in memory (the same rule as the embedded engine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from smallcoder.backends.gguf_facts import GGUFFacts, default_kv_budget

# A loaded window at least this large is used as is, rather than reloading for a bigger one.
REUSE_LOADED_FROM = 8_192
_PARAM_NUM_CTX = re.compile(r"^\s*num_ctx\s+(\d+)", re.MULTILINE)
_FROM_LINE = re.compile(r"^FROM\s+(\S+)", re.MULTILINE)


@dataclass
class OllamaModelFacts:
    name: str
    architecture: str = "unknown"
    trained_context: int | None = None
    capabilities: list[str] | None = None  # None: an Ollama too old to say (< 0.6.4)
    template: str = ""
    modelfile_num_ctx: int | None = None
    loaded_context: int | None = None  # /api/ps: the window the loaded model was given
    blob_path: str | None = None  # the GGUF on disk, when the Modelfile names one
    gguf: GGUFFacts | None = None
    parser: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tools(self) -> bool | None:
        return None if self.capabilities is None else "tools" in self.capabilities

    @property
    def fim(self) -> bool | None:
        return None if self.capabilities is None else "insert" in self.capabilities

    @classmethod
    def from_show(cls, name: str, show: Any) -> OllamaModelFacts:
        info = dict(getattr(show, "modelinfo", None) or {})
        arch = str(info.get("general.architecture") or "unknown")
        trained = info.get(f"{arch}.context_length")
        params = getattr(show, "parameters", None) or ""
        m = _PARAM_NUM_CTX.search(params)
        blob = _FROM_LINE.search(getattr(show, "modelfile", None) or "")
        caps = getattr(show, "capabilities", None)
        gguf = GGUFFacts.from_metadata(info) if info else None
        return cls(
            name=name, architecture=arch, trained_context=int(trained) if isinstance(trained, int) else None,
            capabilities=list(caps) if caps is not None else None, template=getattr(show, "template", None) or "",
            modelfile_num_ctx=int(m.group(1)) if m else None, blob_path=blob.group(1) if blob else None,
            gguf=gguf, parser=str(getattr(show, "parser", "") or ""),
        )


def loaded_context(ps: Any, name: str) -> int | None:
    """The context the model has while loaded (Ollama ≥ 0.9.7 reports it), or None when not loaded."""
    for m in getattr(ps, "models", None) or []:
        loaded = getattr(m, "model", None) or getattr(m, "name", None) or ""
        if _same_model(name, loaded) or name == getattr(m, "name", None):
            ctx = getattr(m, "context_length", None)  # absent before ollama-python 0.5 / Ollama 0.9.7
            return ctx if isinstance(ctx, int) and ctx > 0 else None
    return None


def _same_model(a: str, b: str) -> bool:
    # "qwen2.5-coder" means "qwen2.5-coder:latest"
    def norm(s: str) -> str:
        return s if ":" in s.rsplit("/", 1)[-1] else s + ":latest"

    return norm(a) == norm(b)


def choose_num_ctx(facts: OllamaModelFacts, declared: int | None = None,
                   memory_budget_bytes: int | None = None) -> tuple[int, str]:
    """(num_ctx, why) — chosen once per run."""
    trained = facts.trained_context
    if declared:
        return (min(declared, trained) if trained else declared), "--ctx"
    if facts.loaded_context and facts.loaded_context >= REUSE_LOADED_FROM:
        return facts.loaded_context, "the window Ollama already has the model loaded with (no reload)"
    if facts.modelfile_num_ctx:
        return facts.modelfile_num_ctx, "the Modelfile's num_ctx"
    if facts.gguf is not None:
        budget = memory_budget_bytes if memory_budget_bytes is not None else default_kv_budget()
        return facts.gguf.choose_context(budget), "the trained window, capped by memory"
    return 8_192, "a default (Ollama reported no trained window)"
