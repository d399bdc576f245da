"""Where a model's memory goes on this machine, and the speed that follows.

One plan per load: all on the GPU with the most free memory; or, for a mixture-of-experts
model that does not fit, the routed experts of the first N layers kept in system RAM
(llama.cpp `--n-cpu-moe N`, or `-ot "blk\\.(0|…)\\.ffn_.*_exps\\.=CPU"`); or, for a dense model,
the first layers on the GPU (`-ngl`); or all in system RAM. Free memory is per device and
never summed across GPUs.

Speed: generating a token reads every active weight once, so tokens/s is at most
bandwidth / bytes read per token (the bound used by llama.cpp's own performance notes).
It is a ceiling, not a promise; prompt processing is compute-bound and not estimated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smallcoder.models.hardware import GIB, Hardware
from smallcoder.models.memory import Breakdown, ModelShape, estimate

# Kept free on a GPU for the CUDA context and driver (typically 0.3–0.5 GiB; an assumption, shown as such).
GPU_RESERVE = int(0.5 * GIB)
# Kept free in RAM for the OS, the agent and the test commands it runs.
RAM_RESERVE = int(1.5 * GIB)
# Apple: the share of RAM Metal may wire by default (recommendedMaxWorkingSetSize, about 2/3 to 3/4).
UNIFIED_SHARE = 2 / 3


@dataclass(frozen=True)
class Plan:
    """A placement of one load. Bytes; `tokens_per_s` is the bandwidth ceiling (None if unknown)."""

    mode: str  # "gpu", "moe-offload", "partial-offload", "cpu", "none"
    device: str
    context: int
    breakdown: Breakdown
    gpu_bytes: int = 0
    cpu_bytes: int = 0
    gpu_budget: int = 0
    cpu_budget: int = 0
    gpu_layers: int = 0
    cpu_moe_layers: int = 0
    tokens_per_s: float | None = None
    llama_args: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def fits(self) -> bool:
        return self.mode != "none"


def _budgets(hw: Hardware) -> tuple[int, int, str, float | None]:
    """(GPU budget, RAM budget, GPU name, GPU bandwidth) — free memory less the reserves."""
    ram = max(0, hw.ram_available - RAM_RESERVE)
    if hw.unified_memory:
        return 0, min(ram, int(hw.ram_total * UNIFIED_SHARE)), "", None
    gpu = hw.best_gpu()
    if gpu is None:
        return 0, ram, "", None
    return max(0, gpu.free_bytes - GPU_RESERVE), ram, f"GPU {gpu.index} ({gpu.name})", gpu.bandwidth


def _speed(gpu_read: float, cpu_read: float, gpu_bw: float | None, cpu_bw: float | None) -> float | None:
    seconds = 0.0
    for read, bw in ((gpu_read, gpu_bw), (cpu_read, cpu_bw)):
        if read > 0:
            if not bw:
                return None
            seconds += read / bw
    return 1 / seconds if seconds > 0 else None


def _server_args(shape: ModelShape, ctx: int, extra: list[str], kv_type: str, fa: bool) -> tuple[str, ...]:
    args = ["-c", str(ctx), *extra]
    if fa:
        args += ["-fa", "on"]
    if kv_type != "f16":
        args += ["--cache-type-k", kv_type, "--cache-type-v", kv_type]
    if ctx > shape.trained_context and shape.yarn_factor:
        args += ["--rope-scaling", "yarn", "--rope-scale", f"{ctx / shape.trained_context:g}",
                 "--yarn-orig-ctx", str(shape.trained_context)]
    return tuple(args)


def plan(shape: ModelShape, hw: Hardware, context: int, kv_type: str = "f16", flash_attention: bool = False) -> Plan:
    """The best placement of `shape` at `context` tokens on `hw`; mode "none" when nothing fits."""
    b = estimate(shape, context, kv_type, flash_attention)
    gpu_budget, ram_budget, gpu_name, gpu_bw = _budgets(hw)
    notes = list(b.notes)
    per_layer = shape.weight_bytes / max(shape.layers, 1)
    runtime = b.kv_cache + b.compute + b.overhead

    def make(mode: str, device: str, **kw: Any) -> Plan:
        return Plan(mode=mode, device=device, context=context, breakdown=b, gpu_budget=gpu_budget,
                    cpu_budget=ram_budget, **kw)

    if context > shape.max_context:  # past what the model supports, with YaRN or without: no placement helps
        return make("none", "", notes=tuple(notes))
    if hw.unified_memory and b.total <= ram_budget:
        return make("gpu", "Apple unified memory", cpu_bytes=b.total,
                    tokens_per_s=_speed(0, shape.active_weight_bytes(), None, hw.cpu_bandwidth),
                    llama_args=_server_args(shape, context, ["-ngl", "99"], kv_type, flash_attention),
                    notes=tuple(notes))
    if gpu_budget and b.total <= gpu_budget:
        return make("gpu", gpu_name, gpu_bytes=b.total, gpu_layers=shape.layers,
                    tokens_per_s=_speed(shape.active_weight_bytes(), 0, gpu_bw, None),
                    llama_args=_server_args(shape, context, ["-ngl", "99"], kv_type, flash_attention),
                    notes=tuple(notes))
    if gpu_budget and shape.is_moe and shape.expert_bytes_per_layer:
        # Move the experts of the first N layers to RAM until the rest fits the GPU.
        on_gpu, n = b.total, 0
        while on_gpu > gpu_budget and n < len(shape.expert_bytes_per_layer):
            on_gpu -= shape.expert_bytes_per_layer[n]
            n += 1
        off = b.total - on_gpu
        if on_gpu <= gpu_budget and off <= ram_budget:
            share = (shape.experts_used or 1) / (shape.experts or 1)
            pattern = "|".join(str(i) for i in range(n))
            notes.append(f"experts of layers 0–{n - 1} in RAM; or -ot \"blk\\.({pattern})\\.ffn_.*_exps\\.=CPU\"")
            return make("moe-offload", f"{gpu_name} + RAM", gpu_bytes=on_gpu, cpu_bytes=off,
                        gpu_layers=shape.layers, cpu_moe_layers=n,
                        tokens_per_s=_speed(shape.active_weight_bytes() - off * share, off * share,
                                            gpu_bw, hw.cpu_bandwidth),
                        llama_args=_server_args(shape, context, ["-ngl", "99", "--n-cpu-moe", str(n)],
                                                kv_type, flash_attention),
                        notes=tuple(notes))
    if gpu_budget and gpu_budget > runtime:
        layers = min(shape.layers, int((gpu_budget - runtime) // per_layer))
        gpu_w = int(layers * per_layer)
        if layers > 0 and shape.weight_bytes - gpu_w <= ram_budget:
            active = shape.active_weight_bytes() / shape.weight_bytes
            return make("partial-offload", f"{gpu_name} + RAM", gpu_bytes=gpu_w + runtime,
                        cpu_bytes=shape.weight_bytes - gpu_w, gpu_layers=layers,
                        tokens_per_s=_speed(gpu_w * active, (shape.weight_bytes - gpu_w) * active,
                                            gpu_bw, hw.cpu_bandwidth),
                        llama_args=_server_args(shape, context, ["-ngl", str(layers)], kv_type, flash_attention),
                        notes=tuple(notes))
    if b.total <= ram_budget:
        return make("cpu", "CPU (system RAM)", cpu_bytes=b.total,
                    tokens_per_s=_speed(0, shape.active_weight_bytes(), None, hw.cpu_bandwidth),
                    llama_args=_server_args(shape, context, [], kv_type, flash_attention),
                    notes=tuple(notes))
    return make("none", "", notes=tuple(notes))


def largest_fitting_context(shape: ModelShape, hw: Hardware, kv_type: str = "f16",
                            flash_attention: bool = False) -> int:
    """The largest context (multiple of 256, up to the model's maximum) with any placement; 0 when none fits.

    Bisects on `plan(...).fits`, which only gets harder as the context grows.
    """
    lo, hi = 0, shape.max_context // 256
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if plan(shape, hw, mid * 256, kv_type, flash_attention).fits:
            lo = mid
        else:
            hi = mid - 1
    return lo * 256
