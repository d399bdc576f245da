"""Measure what a real llama.cpp load costs: resident memory of a fresh process that loads a GGUF
at a context, fills the context with tokens (so the KV cache and the attention part of the
compute buffer are really touched), and reports its peak RSS.

Runs in a child process (`python -m smallcoder.models.measure PATH --ctx N`) so each figure
starts from a clean interpreter; `measure_load()` is the caller's side. Uses llama-cpp-python's
low-level API, which the embedded backend's `Llama` class wraps, because it can switch off
llama.cpp's extra CPU buffer types (AMX/repacked weights): on machines whose CPU advertises AMX
but whose kernel or sandbox does not let a process use it, those kernels die with SIGILL.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from smallcoder.errors import SmallcoderError


@dataclass(frozen=True)
class Measured:
    """Bytes of resident memory: before loading, after the load, after filling, and the peak."""

    context: int
    filled: int
    rss_before: int
    rss_after_load: int
    rss_after_fill: int
    peak_rss: int
    seconds: float

    @property
    def model_bytes(self) -> int:
        """What the model added to the process: peak minus the interpreter before the load."""
        return self.peak_rss - self.rss_before


def measure_load(path: Path, context: int, fill: int | None = None, flash_attention: bool = False,
                 mmap: bool = False, extra_buffers: bool = False, threads: int | None = None,
                 timeout: float = 1800) -> Measured:
    """Load `path` at `context` in a child process and fill `fill` tokens (default: context − 8).

    `mmap=False` reads the weights into memory, so all of them are resident (as on a GPU);
    with mmap, embedding rows never looked up stay on disk. Raises SmallcoderError if the child fails.
    """
    args = [sys.executable, "-m", "smallcoder.models.measure", str(path), "--ctx", str(context),
            "--fill", str(context - 8 if fill is None else fill), "--threads", str(threads or os.cpu_count() or 2)]
    args += ["--fa"] if flash_attention else []
    args += ["--mmap"] if mmap else []
    args += ["--extra-buffers"] if extra_buffers else []
    run = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if run.returncode != 0:
        tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
        raise SmallcoderError(f"measuring {path.name} at {context} failed (exit {run.returncode}): {tail}")
    return Measured(**json.loads(run.stdout.strip().splitlines()[-1]))


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _child(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m smallcoder.models.measure")
    p.add_argument("path")
    p.add_argument("--ctx", type=int, required=True)
    p.add_argument("--fill", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--fa", action="store_true")
    p.add_argument("--mmap", action="store_true")
    p.add_argument("--extra-buffers", action="store_true")
    a = p.parse_args(argv)
    import llama_cpp as L

    L.llama_backend_init()
    before = _rss()
    start = time.perf_counter()
    mp = L.llama_model_default_params()
    mp.use_extra_bufts = a.extra_buffers
    mp.load_mode = L.LLAMA_LOAD_MODE_MMAP if a.mmap else L.LLAMA_LOAD_MODE_NONE
    model = L.llama_model_load_from_file(a.path.encode(), mp)
    if not model:
        sys.exit(f"llama.cpp could not load {a.path}")
    cp = L.llama_context_default_params()
    cp.n_ctx, cp.n_batch, cp.n_ubatch = a.ctx, 512, 512
    cp.n_threads = cp.n_threads_batch = a.threads
    cp.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_ENABLED if a.fa else L.LLAMA_FLASH_ATTN_TYPE_DISABLED
    ctx = L.llama_init_from_model(model, cp)
    if not ctx:
        sys.exit(f"llama.cpp could not make a {a.ctx}-token context")
    after_load = _rss()
    done = 0
    while done < a.fill:  # 512-token batches of ordinary token ids, as a long prompt would be
        n = min(512, a.fill - done)
        tokens = (ctypes.c_int32 * n)(*[1000 + (done + i) % 20000 for i in range(n)])
        if L.llama_decode(ctx, L.llama_batch_get_one(tokens, n)) != 0:
            sys.exit(f"llama_decode failed at token {done}")
        done += n
    after_fill = _rss()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    print(json.dumps({"context": a.ctx, "filled": done, "rss_before": before, "rss_after_load": after_load,
                      "rss_after_fill": after_fill, "peak_rss": peak,
                      "seconds": round(time.perf_counter() - start, 2)}))
    L.llama_free(ctx)
    L.llama_model_free(model)


if __name__ == "__main__":
    _child(sys.argv[1:])
