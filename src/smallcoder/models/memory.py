"""Memory math for a llama.cpp load: weights + KV cache at the context really used + compute buffer.

All sizes are bytes; contexts are tokens. The figures follow what llama.cpp allocates
(its load log prints the same three buffers: "model buffer", "KV buffer", "compute buffer"):

- weights: the GGUF's tensor bytes (exact when the file is there), else the catalogued file
  size, else parameters × the bits per weight the catalog's files of that quantization show;
- KV cache: 2 (K and V) × layers × KV heads × head dim × context × bytes per element, with
  bytes per element from ggml's block layouts (ggml/src/ggml-common.h: f16 2, q8_0 34/32,
  q4_0 18/32). A quantized V cache needs flash attention: llama.cpp refuses it otherwise,
  so without flash attention V is counted at f16;
- compute buffer (n_ubatch tokens per step, 512 by default): the output logits
  (4 × n_ubatch × (vocab + 2 × hidden)); without flash attention, the attention scores
  (4 × n_ubatch × context × heads) plus the mask and FFN activations when they are larger.
  Fitted against llama.cpp 0.3.36's log on Qwen2.5-Coder 0.5B/1.5B at 2k/8k/32k
  (benchmarks/memory/), where it is within 3% of the reported buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smallcoder.errors import SmallcoderError
from smallcoder.models.catalog import Catalog, CatalogModel
from smallcoder.models.gguf_header import GGUFHeader

MIB = 1 << 20
GIB = 1 << 30
CONTEXT_STEP = 256  # llama.cpp pads the KV cache to multiples of 256 cells
DEFAULT_UBATCH = 512
# Python + llama.cpp libraries, measured on this project's machine (RSS after `import llama_cpp`).
RUNTIME_OVERHEAD = 50 * MIB
# llama.cpp's tokenizer tables (token strings, merges, lookup maps) per vocabulary entry: fitted to the
# resident memory after loading Qwen2.5-Coder-0.5B without mmap (47 MiB beyond the interpreter, the
# weights and the KV cache for 151,936 tokens, at 1K and at 4K context alike).
VOCAB_BYTES_PER_TOKEN = 330

# Bytes per cached element, from the ggml block layouts (ggml/src/ggml-common.h).
KV_BYTES = {"f32": 4.0, "f16": 2.0, "bf16": 2.0, "q8_0": 34 / 32, "q5_1": 24 / 32, "q5_0": 22 / 32,
            "q4_1": 20 / 32, "q4_0": 18 / 32, "iq4_nl": 18 / 32}


class SizingError(SmallcoderError):
    """The model's shape is unknown or a setting is invalid."""


@dataclass(frozen=True)
class ModelShape:
    """What the memory math needs about a model, each part with where it came from.

    `expert_bytes_per_layer` holds the routed-expert weights of each block (MoE only);
    `weights_source` says whether the weight bytes are exact or estimated.
    """

    name: str
    layers: int
    heads: int
    kv_heads: int
    key_length: int
    value_length: int
    hidden: int
    vocab: int
    trained_context: int
    weight_bytes: int
    weights_source: str
    ffn: int | None = None
    experts: int | None = None
    experts_used: int | None = None
    expert_bytes_per_layer: tuple[int, ...] = ()
    yarn_factor: float | None = None
    yarn_original_context: int | None = None
    yarn_max_context: int | None = None
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def is_moe(self) -> bool:
        return bool(self.experts and self.experts > 1)

    @property
    def expert_bytes(self) -> int:
        return sum(self.expert_bytes_per_layer)

    @property
    def max_context(self) -> int:
        """The longest window the model supports: with YaRN when it has it, else the trained one."""
        return self.yarn_max_context or self.trained_context

    def active_weight_bytes(self) -> int:
        """Weight bytes read per generated token: all of them for dense models; for MoE the shared
        part plus experts_used / experts of the expert tensors."""
        if not self.is_moe or not self.experts_used or not self.experts:
            return self.weight_bytes
        return int(self.weight_bytes - self.expert_bytes + self.expert_bytes * self.experts_used / self.experts)


def shape_from_header(h: GGUFHeader, source: str) -> ModelShape:
    """The shape of a local GGUF (exact weight bytes from its tensor table)."""
    if not h.layers or not h.heads:
        raise SizingError(f"{source}: the GGUF header gives no layer or head count for {h.architecture!r}")
    yarn = h.rope_scaling_type == "yarn" and h.rope_scaling_factor
    return ModelShape(
        name=h.name or source, layers=h.layers, heads=h.heads, kv_heads=h.kv_heads, key_length=h.key_length,
        value_length=h.value_length, hidden=h.embedding_length, vocab=h.vocab_size or 0,
        trained_context=h.rope_original_context or h.trained_context if yarn else h.trained_context,
        weight_bytes=h.tensor_bytes or h.file_bytes or 0,
        weights_source=f"tensor table of {source}", ffn=h.feed_forward_length,
        experts=h.experts, experts_used=h.experts_used, expert_bytes_per_layer=h.expert_bytes_per_layer,
        yarn_factor=h.rope_scaling_factor if yarn else None,
        yarn_original_context=h.rope_original_context if yarn else None,
        yarn_max_context=h.trained_context if yarn else None,
        sources={"shape": f"GGUF header of {source}"},
    )


def shape_from_catalog(model: CatalogModel, quant: str | None, catalog: Catalog) -> ModelShape:
    """The shape of a catalogued model at a quantization (default Q4_K_M), weights sized from the
    catalogued file when there is one, else estimated. Raises SizingError when a shape fact is missing."""
    missing = [k for k in ("layers", "heads", "kv_heads", "head_dim", "trained_context", "params_total_b")
               if model.get(k) is None]
    if missing:
        raise SizingError(f"{model.id}: the catalog has no sourced {', '.join(missing)} — cannot size it")
    source = model.gguf_for(quant)
    want = (quant or "Q4_K_M").upper()
    params = float(model.get("params_total_b")) * 1e9
    if source and source.size_bytes:
        weights, how = source.size_bytes, f"catalogued {source.quant} file size ({source.source.split(' ')[0]})"
    elif source and source.approx_size_bytes:
        weights, how = source.approx_size_bytes, f"published approximate {source.quant} size ({source.source.split(' ')[0]})"
    else:
        bpw = catalog.bits_per_weight(want)
        if bpw is None:
            raise SizingError(f"{model.id}: no {want} file size is catalogued to size it from — try Q4_K_M")
        weights = int(params * bpw / 8)
        how = f"estimate: {params / 1e9:.2f}B parameters × {bpw:.2f} bits ({want} median of catalogued files)"
    experts, used = model.get("experts"), model.get("experts_used") or model.get("experts_per_token")
    per_layer: tuple[int, ...] = ()
    if model.is_moe and experts and used and model.get("params_active_b"):
        # total = shared + E; active = shared + E·k/n  ⇒  E = (total − active) / (1 − k/n)
        total_b, active_b = float(model.get("params_total_b")), float(model.get("params_active_b"))
        expert_share = (total_b - active_b) / (1 - used / experts) / total_b
        layers = int(model.get("layers"))
        per_layer = tuple([int(weights * expert_share / layers)] * layers)
    rope = model.rope
    head_dim = int(model.get("head_dim"))
    return ModelShape(
        name=model.name, layers=int(model.get("layers")), heads=int(model.get("heads")),
        kv_heads=int(model.get("kv_heads")), key_length=head_dim, value_length=head_dim,
        hidden=int(model.get("hidden_size") or 0), vocab=int(model.get("vocab_size") or 0),
        trained_context=int(model.get("trained_context")), weight_bytes=int(weights), weights_source=how,
        experts=int(experts) if experts else None, experts_used=int(used) if used else None,
        expert_bytes_per_layer=per_layer,
        yarn_factor=rope.factor if rope else None, yarn_original_context=rope.original_context if rope else None,
        yarn_max_context=rope.max_context if rope else None,
        sources={k: model.source_of(k) or "" for k in ("layers", "kv_heads", "head_dim", "trained_context", "rope")
                 if model.source_of(k)},
    )


@dataclass(frozen=True)
class Breakdown:
    """Memory for one load at one context. `notes` explain settings that change the figure."""

    context: int
    kv_type: str
    flash_attention: bool
    weights: int
    kv_cache: int
    compute: int
    overhead: int
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Everything llama.cpp allocates: what a GPU must hold, and the peak a long prompt reaches."""
        return self.weights + self.kv_cache + self.compute + self.overhead

    @property
    def resident_at_load(self) -> int:
        """Resident memory right after a CPU load without mmap: weights read, KV cache zeroed; the
        compute buffer is allocated but becomes resident only as prompts use it."""
        return self.weights + self.kv_cache + self.overhead


def kv_cache_bytes(shape: ModelShape, context: int, kv_type: str = "f16", flash_attention: bool = False
                   ) -> tuple[int, list[str]]:
    """K and V for `context` tokens (padded to 256 cells), and notes on the cache type."""
    if kv_type not in KV_BYTES:
        raise SizingError(f"unknown KV cache type {kv_type!r} — one of {', '.join(KV_BYTES)}")
    cells = -(-context // CONTEXT_STEP) * CONTEXT_STEP
    notes: list[str] = []
    k_bytes = v_bytes = KV_BYTES[kv_type]
    if kv_type not in ("f16", "bf16", "f32") and not flash_attention:
        v_bytes = KV_BYTES["f16"]
        notes.append(f"a {kv_type} V cache needs flash attention (llama.cpp -fa on): without it V stays f16")
    per_token = shape.layers * shape.kv_heads * (shape.key_length * k_bytes + shape.value_length * v_bytes)
    return int(per_token * cells), notes


def compute_buffer_bytes(shape: ModelShape, context: int, flash_attention: bool = False,
                         n_ubatch: int = DEFAULT_UBATCH) -> int:
    """llama.cpp's compute buffer for one step of `n_ubatch` tokens (see the module docstring)."""
    vocab = shape.vocab or 152_064  # unknown vocabulary: the largest in the catalog
    logits_phase = 4 * n_ubatch * (vocab + 2 * shape.hidden)
    if flash_attention:
        return logits_phase
    cells = -(-context // CONTEXT_STEP) * CONTEXT_STEP
    ffn = shape.ffn or int(5.5 * shape.hidden)
    attention_phase = 4 * n_ubatch * cells * shape.heads + 2 * n_ubatch * cells + 2 * 4 * n_ubatch * ffn
    return max(logits_phase, attention_phase)


def resident_peak(shape: ModelShape, context: int, prompt_tokens: int, flash_attention: bool = False,
                  n_ubatch: int = DEFAULT_UBATCH) -> int:
    """Resident memory (CPU) after a prompt of `prompt_tokens` in a `context` window, logits kept
    for the last token only (what the agent asks for): the load, plus the part of the compute
    buffer that prompt touches — the attention scores over the cached tokens and the FFN
    activations of one 512-token step. The rest of the reservation stays untouched."""
    at_load = estimate(shape, context, flash_attention=flash_attention, n_ubatch=n_ubatch).resident_at_load
    vocab = shape.vocab or 152_064
    step = 4 * n_ubatch * 2 * shape.hidden + 4 * vocab
    if flash_attention:
        return at_load + step
    cells = -(-min(prompt_tokens, context) // CONTEXT_STEP) * CONTEXT_STEP
    ffn = shape.ffn or int(5.5 * shape.hidden)
    attention = 4 * n_ubatch * cells * shape.heads + 2 * n_ubatch * cells + 2 * 4 * n_ubatch * ffn
    return at_load + max(step, attention)


def estimate(shape: ModelShape, context: int, kv_type: str = "f16", flash_attention: bool = False,
             n_ubatch: int = DEFAULT_UBATCH, overhead: int | None = None) -> Breakdown:
    """The memory of loading `shape` with a `context`-token window (all on one device)."""
    if context < 1:
        raise SizingError(f"context must be positive, got {context}")
    kv, notes = kv_cache_bytes(shape, context, kv_type, flash_attention)
    if context > shape.max_context:
        notes.append(f"{context} tokens is past the model's supported {shape.max_context}")
    elif context > shape.trained_context:
        notes.append(f"{context} tokens is past the trained {shape.trained_context}: needs YaRN "
                     f"(factor {context / shape.trained_context:.2f}, original context {shape.trained_context})")
    if overhead is None:
        overhead = RUNTIME_OVERHEAD + VOCAB_BYTES_PER_TOKEN * (shape.vocab or 152_064)
    return Breakdown(context=context, kv_type=kv_type, flash_attention=flash_attention, weights=shape.weight_bytes,
                     kv_cache=kv, compute=compute_buffer_bytes(shape, context, flash_attention, n_ubatch),
                     overhead=overhead, notes=tuple(notes))


def largest_context(shape: ModelShape, budget: int, kv_type: str = "f16", flash_attention: bool = False,
                    fixed: int | None = None, limit: int | None = None) -> int:
    """The largest context (a multiple of 256, at most `limit` or the model's maximum) whose load
    fits `budget` bytes; 0 when not even 256 tokens fit. `fixed` replaces the weight bytes (for a
    device that holds only part of the weights)."""
    top = limit or shape.max_context
    weights = shape.weight_bytes if fixed is None else fixed

    def fits(ctx: int) -> bool:
        b = estimate(shape, ctx, kv_type, flash_attention)
        return weights + b.kv_cache + b.compute + b.overhead <= budget

    lo, hi = 0, top // CONTEXT_STEP
    while lo < hi:  # the cost grows with the context, so bisect on 256-token steps
        mid = (lo + hi + 1) // 2
        if fits(mid * CONTEXT_STEP):
            lo = mid
        else:
            hi = mid - 1
    return lo * CONTEXT_STEP
