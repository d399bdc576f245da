"""`models recommend`: which catalogued model and quantization to run on this machine, per use case.

The use-case table follows the project's seeds (issue 16): Devstral Small 2 24B for agent work
where a 24 GB GPU or a 32 GB Mac is there; Qwen3-Coder-30B-A3B (MoE, 3.3B active) where less
is; Qwen2.5-Coder for the smallest machines and for fill-in-the-middle (its base models carry
the FIM tokens); Qwen3-Coder for long context (256K native, 1M with YaRN). Each pick is then
checked against the memory math on this machine: the answer says where the table holds, and
where it does not, why (memory, speed, licence).
"""

from __future__ import annotations

from dataclasses import dataclass

from smallcoder.errors import SmallcoderError
from smallcoder.models.catalog import Catalog, CatalogModel
from smallcoder.models.hardware import GIB, Hardware
from smallcoder.models.memory import ModelShape, SizingError, shape_from_catalog
from smallcoder.models.placement import Plan, largest_fitting_context, plan


@dataclass(frozen=True)
class UseCase:
    """A job and what it needs: the context it must hold and the slowest generation that is usable."""

    name: str
    context: int
    min_tokens_per_s: float
    picks: tuple[str, ...]  # catalog ids, the seeds' order of preference
    why: str


USE_CASES: dict[str, UseCase] = {u.name: u for u in (
    UseCase("agent", 32768, 5.0, ("devstral-small-2-24b-instruct", "qwen3-coder-30b-a3b-instruct",
                                  "qwen2.5-coder-32b-instruct", "qwen2.5-coder-14b-instruct",
                                  "qwen2.5-coder-7b-instruct", "qwen2.5-coder-3b-instruct",
                                  "qwen2.5-coder-1.5b-instruct", "qwen2.5-coder-0.5b-instruct"),
            "tool calls over a 32K window: the largest model that fits and still writes ≥ 5 tokens/s"),
    UseCase("fim", 8192, 20.0, ("qwen2.5-coder-7b", "qwen2.5-coder-1.5b", "codestral-22b", "qwen2.5-coder-32b"),
            "editor completion: latency first, base models with FIM tokens, ≥ 20 tokens/s"),
    UseCase("review", 32768, 3.0, ("qwen3-coder-30b-a3b-instruct", "devstral-small-2-24b-instruct",
                                   "qwen2.5-coder-32b-instruct", "qwen2.5-coder-14b-instruct",
                                   "qwen2.5-coder-7b-instruct", "qwen2.5-coder-3b-instruct"),
            "reading a diff in CI: quality over speed, ≥ 3 tokens/s"),
    UseCase("edge", 8192, 5.0, ("qwen2.5-coder-3b-instruct", "qwen2.5-coder-1.5b-instruct",
                                "qwen2.5-coder-0.5b-instruct"),
            "small machines: the smallest Qwen2.5-Coder that answers at ≥ 5 tokens/s"),
    UseCase("long-context", 131072, 3.0, ("qwen3-coder-30b-a3b-instruct", "qwen3-coder-480b-a35b-instruct",
                                          "devstral-small-2-24b-instruct", "qwen2.5-coder-32b-instruct",
                                          "qwen2.5-coder-14b-instruct", "qwen2.5-coder-7b-instruct"),
            "whole repositories in the window: 128K tokens or more (YaRN past the trained window)"),
)}


@dataclass(frozen=True)
class Recommendation:
    """One candidate judged on this machine."""

    model: CatalogModel
    quant: str
    plan: Plan | None
    max_context: int
    ok: bool
    reason: str
    table_rank: int

    def as_dict(self) -> dict[str, object]:
        p = self.plan
        return {"id": self.model.id, "name": self.model.name, "quant": self.quant, "ok": self.ok,
                "reason": self.reason, "table_rank": self.table_rank, "max_context": self.max_context,
                "placement": p.mode if p else None, "device": p.device if p else None,
                "total_gib": round(p.breakdown.total / GIB, 2) if p else None,
                "tokens_per_s_ceiling": round(p.tokens_per_s, 1) if p and p.tokens_per_s else None,
                "llama_server_args": list(p.llama_args) if p else [],
                "license": self.model.get("license"), "license_warning": self.model.license_warning,
                "ollama": self.model.get("ollama") or []}


def _judge(model: CatalogModel, shape: ModelShape, use: UseCase, hw: Hardware, rank: int, quant: str
           ) -> Recommendation:
    ctx = min(use.context, shape.max_context)
    p = plan(shape, hw, ctx, flash_attention=bool(hw.gpus) or hw.unified_memory)
    top = largest_fitting_context(shape, hw, flash_attention=bool(hw.gpus) or hw.unified_memory)
    if not p.fits:
        need = p.breakdown.total / GIB
        return Recommendation(model, quant, None, top, False,
                              f"needs {need:.1f} GiB at {ctx} tokens; largest context that fits: {top}", rank)
    if use.context > shape.max_context:
        return Recommendation(model, quant, p, top, False,
                              f"supports only {shape.max_context} tokens, the use case wants {use.context}", rank)
    speed = p.tokens_per_s
    if speed is not None and speed < use.min_tokens_per_s:
        return Recommendation(model, quant, p, top, False,
                              f"fits ({p.mode}) but generates at most {speed:.1f} tokens/s "
                              f"(< {use.min_tokens_per_s:g} wanted)", rank)
    how = {"gpu": "all on the GPU", "moe-offload": f"experts of {p.cpu_moe_layers} layers in RAM",
           "partial-offload": f"{p.gpu_layers}/{shape.layers} layers on the GPU", "cpu": "in system RAM"}[p.mode]
    speed_text = f", ≤ {speed:.0f} tokens/s" if speed else ""
    warn = f"; licence: {model.license_warning}" if model.license_warning else ""
    return Recommendation(model, quant, p, top, True,
                          f"{p.breakdown.total / GIB:.1f} GiB at {ctx} tokens, {how}{speed_text}{warn}", rank)


def recommend(use_case: str, hw: Hardware, catalog: Catalog, quant: str | None = None) -> list[Recommendation]:
    """Candidates for `use_case`, those that fit first (in the table's order), then the rest.

    Raises SmallcoderError for an unknown use case.
    """
    use = USE_CASES.get(use_case)
    if use is None:
        raise SmallcoderError(f"unknown use case {use_case!r} — one of {', '.join(USE_CASES)}")
    out = []
    for rank, model_id in enumerate(use.picks, 1):
        model = catalog.by_id(model_id)
        try:
            shape = shape_from_catalog(model, quant, catalog)
        except SizingError as e:
            out.append(Recommendation(model, quant or "Q4_K_M", None, 0, False, str(e), rank))
            continue
        out.append(_judge(model, shape, use, hw, rank, (quant or "Q4_K_M").upper()))
    out.sort(key=lambda r: (not r.ok, r.table_rank))
    if not any(r.ok for r in out):
        # Nothing reaches the speed wanted: the fastest model that fits is still the one to try.
        slow = [r for r in out if r.plan is not None and r.plan.fits and r.max_context >= min(use.context, 8192)]
        if slow:
            fastest = max(slow, key=lambda r: r.plan.tokens_per_s or 0.0)  # type: ignore[union-attr]
            i = out.index(fastest)
            out[i] = Recommendation(fastest.model, fastest.quant, fastest.plan, fastest.max_context, True,
                                    f"the fastest that fits, though below the speed wanted: {fastest.reason}",
                                    fastest.table_rank)
            out.insert(0, out.pop(i))
    return out


def table_verdict(recs: list[Recommendation]) -> str:
    """One line: does the seeds' first pick hold on this machine, and if not, what replaces it."""
    first = min(recs, key=lambda r: r.table_rank)
    best = next((r for r in recs if r.ok), None)
    if best is not None and best.reason.startswith("the fastest that fits"):
        return (f"nothing in the table reaches the speed wanted on this machine now; try {best.model.name} "
                f"({best.reason.split(': ', 1)[1]})")
    if first.ok:
        return f"the use-case table holds here: {first.model.name}"
    if best is None:
        return f"nothing in the table fits this machine ({first.model.name}: {first.reason})"
    return f"the table's pick {first.model.name} does not hold here ({first.reason}); best fit: {best.model.name}"
