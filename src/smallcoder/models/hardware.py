"""What this machine offers a model: RAM (total and free), each GPU with its own free memory,
Apple unified memory, CPU cores and instruction sets, and memory bandwidth.

GPUs are read through NVIDIA's management library (`nvidia-ml-py`, the `models` extra), else
`nvidia-smi`. Memory is reported per device and never summed: llama.cpp places each layer on
one device, so two 12 GB cards are not one 24 GB card.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
from dataclasses import dataclass, field

GIB = 1 << 30
# Instruction sets that change llama.cpp's CPU speed (ggml picks kernels by them).
_CPU_FLAGS = ("avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8", "amx_tile",
              "neon", "asimd", "sve", "dotprod", "i8mm")


@dataclass(frozen=True)
class GPU:
    """One accelerator. Bytes; bandwidth in bytes per second (None when unknown)."""

    index: int
    name: str
    total_bytes: int
    free_bytes: int
    bandwidth: float | None = None
    vendor: str = "nvidia"


@dataclass(frozen=True)
class Hardware:
    """The machine. `unified_memory`: the GPU shares system RAM (Apple silicon)."""

    platform: str
    cpu: str
    cores: int
    threads: int
    cpu_flags: tuple[str, ...]
    ram_total: int
    ram_available: int
    gpus: tuple[GPU, ...] = ()
    unified_memory: bool = False
    cpu_bandwidth: float | None = None
    notes: tuple[str, ...] = field(default=())

    def best_gpu(self) -> GPU | None:
        """The device with the most free memory (llama.cpp's main device for a single-GPU load)."""
        return max(self.gpus, key=lambda g: g.free_bytes) if self.gpus else None


def _nvml_gpus() -> list[GPU] | None:
    try:
        import pynvml  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:  # no driver or no device
        return []
    gpus = []
    try:
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h)
            name = pynvml.nvmlDeviceGetName(h)
            bandwidth = None
            try:  # double data rate: bytes/s = memory clock × 2 × bus width / 8
                clock = pynvml.nvmlDeviceGetMaxClockInfo(h, pynvml.NVML_CLOCK_MEM)
                bus = pynvml.nvmlDeviceGetMemoryBusWidth(h)
                bandwidth = clock * 1e6 * 2 * bus / 8
            except pynvml.NVMLError:  # some boards do not report clocks or bus width
                bandwidth = None
            gpus.append(GPU(index=i, name=name.decode() if isinstance(name, bytes) else str(name),
                            total_bytes=int(mem.total), free_bytes=int(mem.free), bandwidth=bandwidth))
    finally:
        pynvml.nvmlShutdown()
    return gpus


def _smi_gpus() -> list[GPU]:
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index,name,memory.total,memory.free",
                              "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 4 and parts[2].isdigit() and parts[3].isdigit():
            gpus.append(GPU(index=int(parts[0]), name=parts[1], total_bytes=int(parts[2]) << 20,
                            free_bytes=int(parts[3]) << 20))
    return gpus


def _cpu_info() -> tuple[str, tuple[str, ...]]:
    name, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "Hardware") and name in ("", platform.machine(), platform.processor()):
                    name = value.strip()
                if key in ("flags", "Features"):
                    flags.update(value.split())
    except OSError:
        if platform.system() == "Darwin":
            name = _sysctl("machdep.cpu.brand_string") or name
            if platform.machine() == "arm64":
                flags.update({"neon", "asimd", "dotprod"})
    return name, tuple(f for f in _CPU_FLAGS if f in flags)


def _sysctl(key: str) -> str | None:
    try:
        return subprocess.run(["sysctl", "-n", key], capture_output=True, text=True, timeout=5, check=False).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def measure_cpu_bandwidth(size_bytes: int = 64 << 20, repeats: int = 3, threads: int | None = None) -> float | None:
    """System memory bandwidth in bytes/s: one thread per core copies its own 64 MiB array (numpy
    releases the GIL while copying); the best of `repeats` runs. None without numpy.

    Measured now, so a busy machine reads low: the figure is what a model would get at this moment.
    """
    try:
        import numpy as np
    except ImportError:
        return None
    from concurrent.futures import ThreadPoolExecutor

    n = threads or os.cpu_count() or 1
    pairs = [(np.ones(size_bytes // 8), np.zeros(size_bytes // 8)) for _ in range(n)]  # pages touched up front
    best = float("inf")
    with ThreadPoolExecutor(max_workers=n) as pool:
        for _ in range(repeats):
            start = time.perf_counter()
            list(pool.map(lambda p: np.copyto(p[1], p[0]), pairs))
            best = min(best, time.perf_counter() - start)
    return 2 * size_bytes * n / best if best > 0 else None


def detect_hardware(measure_bandwidth: bool = False) -> Hardware:
    """The machine as it is now (free memory changes: call again before deciding)."""
    import psutil

    mem = psutil.virtual_memory()
    cpu, flags = _cpu_info()
    gpus = _nvml_gpus()
    notes: list[str] = []
    if gpus is None:
        gpus = _smi_gpus()
        if gpus:
            notes.append("GPU bandwidth unknown: install nvidia-ml-py (`pip install 'smallcoder[models]'`)")
    unified = platform.system() == "Darwin" and platform.machine() == "arm64"
    if unified:
        notes.append("Apple unified memory: the GPU uses system RAM; macOS lets Metal wire about 3/4 of it "
                     "by default (sysctl iogpu.wired_limit_mb raises it)")
    return Hardware(
        platform=f"{platform.system()} {platform.machine()}", cpu=cpu,
        cores=psutil.cpu_count(logical=False) or os.cpu_count() or 1, threads=os.cpu_count() or 1,
        cpu_flags=flags, ram_total=int(mem.total), ram_available=int(mem.available), gpus=tuple(gpus),
        unified_memory=unified, cpu_bandwidth=measure_cpu_bandwidth() if measure_bandwidth else None,
        notes=tuple(notes),
    )
