"""What a GGUF file's metadata tells us: architecture, trained context, KV-cache size per token."""

from __future__ import annotations

import os
from dataclasses import dataclass

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

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> GGUFFacts:
        arch = meta.get("general.architecture", "unknown")

        def num(key: str, default: int) -> int:
            try:
                return int(meta.get(f"{arch}.{key}", default))
            except ValueError:
                return default

        layers = num("block_count", 32)
        heads = num("attention.head_count", 32)
        kv_heads = num("attention.head_count_kv", heads)
        head_dim = num("attention.key_length", num("embedding_length", 4096) // max(heads, 1))
        return cls(
            architecture=arch,
            name=meta.get("general.name", ""),
            trained_context=num("context_length", 4096),
            chat_template=meta.get("tokenizer.chat_template"),
            kv_bytes_per_token=2 * layers * kv_heads * head_dim * 2,
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
