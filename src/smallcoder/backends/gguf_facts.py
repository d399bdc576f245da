"""What a GGUF file's metadata tells us: architecture, trained context, KV-cache size per token.

The metadata is interpreted by smallcoder.models.gguf_header, the same reader `smallcoder models
fit` uses, so the embedded backend and the advisor agree on every file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from smallcoder.errors import ConfigError, SmallcoderError
from smallcoder.models.calibration import record_load
from smallcoder.models.gguf_header import GGUFHeader, header_from_metadata
from smallcoder.models.long_context import RopePlan, plan_rope
from smallcoder.models.memory import GIB, RUNTIME_OVERHEAD, estimate, largest_context, shape_from_header

# Never allocate more context than this by default: small models rarely use it well,
# and the allocation costs memory and start-up time. `--ctx` overrides.
DEFAULT_CONTEXT_CEILING = 32_768
MIN_CONTEXT = 2_048


@dataclass
class GGUFFacts:
    architecture: str
    name: str
    trained_context: int
    chat_template: str | None
    kv_bytes_per_token: int  # f16 K and V over all layers
    header: GGUFHeader | None = field(default=None, repr=False)

    @classmethod
    def from_metadata(cls, meta: dict[str, str], file_bytes: int | None = None) -> GGUFFacts:
        h = header_from_metadata(meta, file_bytes=file_bytes)
        # llama.cpp's own fallbacks when a key is missing: 32 layers and heads, a 4,096 window.
        layers, heads = h.layers or 32, h.heads or 32
        head_dim = h.key_length or (h.embedding_length or 4096) // heads
        return cls(
            architecture=h.architecture,
            name=h.name,
            trained_context=h.trained_context or 4096,
            chat_template=h.chat_template,
            kv_bytes_per_token=2 * layers * (h.kv_heads or heads) * head_dim * 2,
            header=h,
        )

    def choose_context(self, memory_budget_bytes: int | None = None) -> int:
        """The trained window, capped so the KV cache fits the memory budget."""
        budget = memory_budget_bytes if memory_budget_bytes is not None else default_kv_budget()
        fits = budget // max(self.kv_bytes_per_token, 1)
        chosen = min(self.trained_context, DEFAULT_CONTEXT_CEILING, fits)
        return max(MIN_CONTEXT, chosen - chosen % 256)


def default_kv_budget() -> int:
    """A quarter of physical memory for the KV cache, at most 8 GiB."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        total = 8 << 30
    return min(total // 4, 8 << 30)


def plan_long_context(facts: GGUFFacts, model_path: Path, n_ctx: int) -> RopePlan:
    """YaRN settings for a window past the trained one, when the model supports it (GGUF metadata or
    the catalog) and the load fits in available memory; no settings within the trained window.

    Raises ConfigError (one line, with the largest context that fits) otherwise.
    """
    header = facts.header or header_from_metadata({})
    rope = plan_rope(header, model_path.name, n_ctx)
    if rope.factor is None:
        return rope
    shape = shape_from_header(header, model_path.name)
    need = estimate(shape, n_ctx).total
    free = psutil.virtual_memory().available
    if need > free:
        fits = largest_context(shape, free)
        raise ConfigError(f"{n_ctx} tokens with YaRN need {need / GIB:.1f} GiB, {free / GIB:.1f} GiB is free — "
                          f"use --ctx {fits} or less")
    return rope


def resident_bytes() -> int:
    """This process's resident memory now."""
    return int(psutil.Process().memory_info().rss)


def record_load_memory(cache: Path, facts: GGUFFacts, model_path: Path, n_ctx: int, rss_before: int) -> None:
    """Append the predicted and measured memory of a load just made (for `models fit`'s calibration)."""
    if facts.header is None or not facts.header.layers:
        return
    try:
        b = estimate(shape_from_header(facts.header, model_path.name), n_ctx)
    except SmallcoderError:
        return
    predicted = b.resident_at_load - RUNTIME_OVERHEAD  # the interpreter was there before the load
    record_load(cache, model_path.name, n_ctx, predicted, resident_bytes() - rss_before)
