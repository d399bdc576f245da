"""Running past a model's trained window with YaRN rope scaling, only where the model supports it.

Support comes from the GGUF itself (`{arch}.rope.scaling.type = yarn`, which llama.cpp applies on
its own) or from the catalog (e.g. Qwen2.5-Coder 7B–32B: factor 4 over 32,768 per their model
cards). The factor used is the one the run needs, n_ctx / original context, capped at the
catalogued one, so short prompts are scaled no more than necessary. llama.cpp's parameters:
`rope_scaling_type` = YARN (2 in llama.h), `rope_freq_scale` = 1 / factor, `yarn_orig_ctx`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from smallcoder.errors import ConfigError, SmallcoderError
from smallcoder.models.catalog import Catalog, load_catalog
from smallcoder.models.gguf_header import GGUFHeader

LLAMA_ROPE_SCALING_TYPE_YARN = 2  # llama.h enum llama_rope_scaling_type


@dataclass(frozen=True)
class RopePlan:
    """What a load at `context` does about rope scaling. `kwargs` go to llama_cpp.Llama."""

    context: int
    trained_context: int
    factor: float | None = None
    source: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def description(self) -> str | None:
        """One line for doctor and the run record, or None when no scaling is applied."""
        if self.factor is None:
            return None
        return (f"YaRN ×{self.factor:g} ({self.trained_context} → {self.context} tokens; {self.source})")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", " ", text.lower()).strip()


def catalog_entry_for(file_name: str, general_name: str, catalog: Catalog | None = None) -> Any:
    """The catalogued model a GGUF is, by file name or by its `general.name`; None if not catalogued."""
    catalog = catalog or load_catalog()
    try:
        return catalog.find(file_name)[0]
    except SmallcoderError:
        pass
    wanted = _norm(general_name)
    for m in catalog.models:
        if wanted and wanted in {_norm(m.name), _norm(m.id)}:
            return m
    return None


def plan_rope(header: GGUFHeader, file_name: str, context: int) -> RopePlan:
    """The rope settings for a load at `context` tokens.

    Raises ConfigError when the context is past the trained window and neither the file nor
    the catalog says the model supports YaRN, or past the longest context it supports.
    """
    if header.rope_scaling_type == "yarn":  # baked into the GGUF: llama.cpp reads it itself
        return RopePlan(context, header.rope_original_context or header.trained_context,
                        header.rope_scaling_factor, "from the GGUF metadata") if context > (
            header.rope_original_context or header.trained_context) else RopePlan(context, header.trained_context)
    trained = header.trained_context
    if not trained or context <= trained:
        return RopePlan(context, trained)
    entry = catalog_entry_for(file_name, header.name)
    rope = entry.rope if entry is not None else None
    if rope is None or rope.type != "yarn":
        raise ConfigError(f"{context} tokens is past {file_name}'s trained window of {trained} and neither the "
                          f"file nor the catalog says it supports YaRN — use --ctx {trained} or less")
    if context > rope.max_context:
        raise ConfigError(f"{context} tokens is past the {rope.max_context} {entry.name} supports with YaRN — "
                          f"use --ctx {rope.max_context} or less")
    factor = min(rope.factor, context / rope.original_context)
    return RopePlan(context, rope.original_context, round(factor, 4), f"catalog: {entry.source_of('rope')}",
                    {"rope_scaling_type": LLAMA_ROPE_SCALING_TYPE_YARN, "rope_freq_scale": 1 / factor,
                     "yarn_orig_ctx": rope.original_context})


def yarn_capability(file_name: str) -> str | None:
    """One line on how far a (catalogued) GGUF can go with YaRN, for `doctor`; None if not known."""
    entry = catalog_entry_for(file_name, "")
    rope = entry.rope if entry is not None else None
    if rope is None:
        return None
    return f"YaRN up to {rope.max_context} tokens (trained {rope.original_context}; {entry.source_of('rope')})"
