"""Predicted vs measured memory of real llama.cpp loads of the test models at 2K, 8K and 32K context.

For each (model, context) a fresh process loads the GGUF (weights read in, no mmap, so all of them
are resident as they would be on a GPU), then evaluates a prompt of `--fill` tokens, and reports
its resident memory after the load and its peak. The prediction is smallcoder's memory math on the
file's header: `resident_at_load` (weights + KV cache + runtime) against the measured RSS after the
load, and `total` (everything llama.cpp allocates, compute buffer included) against the peak.

The compute buffer becomes resident only as far as prompts use it: the peak reaches `total`
only when a prompt fills the whole window, which on a loaded 2-CPU machine takes hours at 32K, so
`--fill` caps the prompt (default 1024 tokens) and the result file says how far each point filled.

Every point is saved as it finishes (benchmarks/results/memory/<model>-<ctx>-fill<N>.json): rerunning the
same command resumes. `python benchmarks/memory/run.py [--models 0.5b 1.5b] [--contexts 2048 8192 32768]`
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from smallcoder.models.gguf_header import read_header
from smallcoder.models.measure import measure_load
from smallcoder.models.memory import MIB, estimate, resident_peak, shape_from_header

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
MODELS = Path(os.environ.get("SMALLCODER_TEST_MODELS", Path.home() / ".cache/smallcoder-test-models"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["0.5b", "1.5b"])
    ap.add_argument("--contexts", nargs="+", type=int, default=[2048, 8192, 32768])
    ap.add_argument("--fill", type=int, default=1024, help="prompt tokens evaluated after the load (capped at ctx−8)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    out_dir = RESULTS / "memory"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.models:
        path = MODELS / f"qwen2.5-coder-{size}-instruct-q4_k_m.gguf"
        if not path.is_file():
            print(f"skip {size}: {path} absent", file=sys.stderr)
            continue
        shape = shape_from_header(read_header(path, MODELS.parent / "smallcoder-test-header-cache"), path.name)
        for ctx in args.contexts:
            fill = min(args.fill, ctx - 8)
            point = out_dir / f"{size}-{ctx}-fill{fill}.json"
            if point.is_file():
                rows.append(json.loads(point.read_text()))
                continue
            started = time.time()
            m = measure_load(path, ctx, fill=fill, threads=args.threads)
            e = estimate(shape, ctx)
            row = {"model": size, "context": ctx, "filled": m.filled, "full": m.filled >= ctx - 8,
                   "predicted_resident_at_load_mib": round(e.resident_at_load / MIB, 1),
                   "measured_rss_after_load_mib": round(m.rss_after_load / MIB, 1),
                   "load_error_pct": round(100 * (e.resident_at_load - m.rss_after_load) / m.rss_after_load, 2),
                   "predicted_total_mib": round(e.total / MIB, 1),
                   "measured_after_prompt_mib": round(m.rss_after_fill / MIB, 1),
                   "measured_peak_mib": round(m.peak_rss / MIB, 1),
                   "peak_error_pct": round(100 * (e.total - m.peak_rss) / m.peak_rss, 2),
                   "breakdown_mib": {"weights": round(e.weights / MIB, 1), "kv": round(e.kv_cache / MIB, 1),
                                     "compute": round(e.compute / MIB, 1), "runtime": round(e.overhead / MIB, 1)},
                   "seconds": round(time.time() - started, 1)}
            point.write_text(json.dumps(row, indent=2) + "\n")
            print(json.dumps(row), flush=True)
            rows.append(row)
    # every point measured so far, whichever run made it (each file says its prompt length),
    # predicted again with the current math
    rows = sorted((json.loads(p.read_text()) for p in out_dir.glob("*.json")),
                  key=lambda r: (r["model"], r["context"], r["filled"]))
    for r in rows:
        path = MODELS / f"qwen2.5-coder-{r['model']}-instruct-q4_k_m.gguf"
        shape = shape_from_header(read_header(path, MODELS.parent / "smallcoder-test-header-cache"), path.name)
        e = estimate(shape, r["context"])
        peak = resident_peak(shape, r["context"], r["filled"])
        r["predicted_resident_at_load_mib"] = round(e.resident_at_load / MIB, 1)
        r["load_error_pct"] = round(100 * (e.resident_at_load / MIB - r["measured_rss_after_load_mib"])
                                    / r["measured_rss_after_load_mib"], 2)
        r["predicted_resident_peak_mib"] = round(peak / MIB, 1)
        after = r.get("measured_after_prompt_mib", r["measured_peak_mib"])  # older points kept only the peak
        r["measured_after_prompt_mib"] = after
        r["resident_peak_error_pct"] = round(100 * (peak / MIB - after) / after, 2)
        r["predicted_total_mib"] = round(e.total / MIB, 1)
    summary = {"command": "python benchmarks/memory/run.py " + " ".join(sys.argv[1:]),
               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, shared by ~8 engineers (loaded)",
               "llama_cpp_python": _llama_version(), "points": rows}
    (RESULTS / "memory.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = ["# Memory: predicted vs measured (llama.cpp, CPU, no mmap, extra CPU buffer types off)", "",
             (f"Points from every run (the last: `{summary['command']}`; the table's points came from `--fill 512` "
              f"and `--contexts 2048 --fill 2040`) on {summary['machine']}; llama-cpp-python "
              f"{summary['llama_cpp_python']}."), "",
             ("| model | ctx | prompt tokens | predicted at load | measured after load | error | predicted after prompt | "
              "measured after prompt | error | process peak (ru_maxrss) | allocated (GPU figure) |"),
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['context']} | {r['filled']} | {r['predicted_resident_at_load_mib']} MiB | "
                     f"{r['measured_rss_after_load_mib']} MiB | {r['load_error_pct']:+.2f}% | "
                     f"{r['predicted_resident_peak_mib']} MiB | {r['measured_after_prompt_mib']} MiB | "
                     f"{r['resident_peak_error_pct']:+.2f}% | {r['measured_peak_mib']} MiB | {r['predicted_total_mib']} MiB |")
    lines += ["", "After prompt: resident memory once a prompt of that many tokens is evaluated, logits for the last",
              "token only (as the agent asks). Process peak: the lifetime maximum, which can include a transient",
              "while llama.cpp loads (points measured before this column existed show the peak in both).",
              "Allocated: everything llama.cpp reserves, compute buffer included (what a GPU must hold); on a CPU",
              "the unused part of the compute buffer is never made resident, so the measured peak stays below it."]
    (RESULTS / "memory.md").write_text("\n".join(lines) + "\n")


def _llama_version() -> str:
    try:
        import llama_cpp

        return str(llama_cpp.__version__)
    except ImportError:
        return "absent"


if __name__ == "__main__":
    main()
