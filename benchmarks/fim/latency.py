"""FIM latency on a replayed typing session: a function body of a real file typed character by
character, one completion request per keystroke (no debounce: the worst case an editor can send).

Modes, side by side on the same keystrokes and the same prompts:

- embedded:  smallcoder's engine in process (stable prompt front, llama.cpp KV-cache reuse, result cache);
- naive:     the same prompts with the KV cache cleared before each request and no result cache —
             the whole prompt is evaluated at every keystroke (a plugin re-sending everything);
- server:    smallcoder's engine against `python -m llama_cpp.server` (/v1/completions), same model.

Figures per mode: p50/p95 milliseconds from keystroke to suggestion (all keystrokes; and model requests
only), prompt tokens per request and the share of them served from the KV cache (embedded modes; the
server does not report it), result-cache hits.

    python benchmarks/fim/latency.py --repo /tmp/click --file src/click/termui.py --function confirm \\
        --model ~/.cache/smallcoder-test-models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf --keystrokes 40

The modes run in lockstep, keystroke by keystroke, so they share the machine's load. Per-keystroke rows
go to benchmarks/results/fim-latency-<name>/<mode>.jsonl (a mode already complete is not run again);
the summary to fim-latency-<name>.json/.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from smallcoder.backends.embedded import EmbeddedBackend
from smallcoder.fim.context import EditorState
from smallcoder.fim.engine import FimEngine, FimOptions

RESULTS = Path(__file__).resolve().parents[1] / "results"
MODES = ("embedded", "naive", "server")


class ClearedCache:
    """The embedded backend with its KV cache cleared before every request (the naive way)."""

    def __init__(self, inner: EmbeddedBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.capabilities = inner.capabilities

    def infill(self, request: Any, *, should_stop: Any = None) -> Any:
        self.inner.llm.reset()
        return self.inner.infill(request, should_stop=should_stop)


def typing_session(repo: Path, rel: str, function: str, keystrokes: int) -> list[EditorState]:
    """States after each keystroke of typing ``function``'s body (after its signature and docstring)."""
    text = (repo / rel).read_text(encoding="utf-8")
    tree = ast.parse(text)
    fn = next(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
              and n.name == function)
    body = fn.body[1:] if isinstance(fn.body[0], ast.Expr) and len(fn.body) > 1 else fn.body
    lines = text.split("\n")
    first, last = body[0].lineno - 1, (fn.end_lineno or fn.lineno) - 1
    indent = len(lines[first]) - len(lines[first].lstrip())
    before = "\n".join(lines[:first]) + "\n" + " " * indent
    typed = "\n".join(lines[first:last + 1])[indent:]
    after = "\n" + "\n".join(lines[last + 1:])
    states = []
    for k in range(1, min(keystrokes, len(typed)) + 1):
        now = before + typed[:k]
        line = now.count("\n")
        col = len(now) - (now.rfind("\n") + 1)
        states.append(EditorState(rel, now + after, line, col, root=repo))
    return states


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return round(s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))], 1)


def start_server(model: Path, port: int, threads: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--n_ctx", "4096",
                             "--host", "127.0.0.1", "--port", str(port), "--n_threads", str(threads),
                             "--n_threads_batch", str(threads)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                time.sleep(1.0)
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("llama_cpp.server did not start")


def open_mode(mode: str, args: argparse.Namespace) -> tuple[Any, subprocess.Popen[bytes] | None]:
    """The backend a mode talks to, and the server process it started (server mode only)."""
    model = Path(args.model).expanduser()
    if mode == "server":
        from smallcoder.backends.openai_compat import OpenAICompatBackend

        port = 18000 + os.getpid() % 1000
        proc = start_server(model, port, args.threads or os.cpu_count() or 2)
        return OpenAICompatBackend(f"http://127.0.0.1:{port}/v1"), proc
    backend = EmbeddedBackend(model, n_ctx=4096, n_threads=args.threads, temperature=0.0)
    return backend, None


def run_modes(modes: list[str], args: argparse.Namespace, states: list[EditorState], out_dir: Path) -> None:
    """Replay the keystrokes through every mode in lockstep: keystroke i goes to each mode in turn (the
    order rotating), so all modes are measured under the same machine load — on a shared machine the
    load drifts, and modes run one after the other would compare different conditions."""
    opts = FimOptions(context_tokens=args.budget, max_tokens=args.max_tokens, prefix_lines=args.prefix_lines,
                      suffix_lines=args.suffix_lines)
    opened = {mode: open_mode(mode, args) for mode in modes}
    try:
        engines = {mode: FimEngine(ClearedCache(b) if mode == "naive" else b, options=opts,
                                   repo_name=Path(args.repo).name) for mode, (b, _) in opened.items()}
        for engine in engines.values():
            engine.complete(states[0], use_cache=False)  # warm-up: load, first prompt; not counted
        files = {mode: (out_dir / f"{mode}.jsonl").open("w") for mode in modes}
        for i, state in enumerate(states):
            for mode in modes[i % len(modes):] + modes[:i % len(modes)]:
                r = engines[mode].complete(state, use_cache=mode != "naive")
                files[mode].write(json.dumps({
                    "keystroke": i + 1, "latency_ms": r.latency_ms, "from_cache": r.from_cache,
                    "prompt_tokens": r.prompt_tokens, "cached_tokens": r.cached_tokens,
                    "completion_tokens": r.completion_tokens, "ttft_ms": r.ttft_ms,
                    "finish_reason": r.finish_reason, "text": r.text}) + "\n")
                files[mode].flush()  # a run stopped part-way keeps what it measured
                print(f"{mode:9s} {i + 1:3d} {r.latency_ms:8.1f} ms  cache={r.from_cache!s:5s} "
                      f"prompt={r.prompt_tokens:5d} kv={r.cached_tokens:5d} gen={r.completion_tokens:3d}", flush=True)
        for f in files.values():
            f.close()
    finally:
        for backend, proc in opened.values():
            backend.close()
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)


def summarize(args: argparse.Namespace, out_dir: Path) -> None:
    table: dict[str, Any] = {}
    rows_by_mode: dict[str, list[dict[str, Any]]] = {}
    for mode in MODES:
        p = out_dir / f"{mode}.jsonl"
        if not p.exists():
            continue
        rows = [json.loads(ln) for ln in p.read_text().splitlines()]
        req = [r for r in rows if not r["from_cache"]]
        with_kv = [r for r in req if r["prompt_tokens"]]
        table[mode] = {
            "keystrokes": len(rows), "model_requests": len(req), "result_cache_hits": len(rows) - len(req),
            "p50_ms": percentile([r["latency_ms"] for r in rows], 50),
            "p95_ms": percentile([r["latency_ms"] for r in rows], 95),
            "p50_request_ms": percentile([r["latency_ms"] for r in req], 50),
            "p95_request_ms": percentile([r["latency_ms"] for r in req], 95),
            "mean_prompt_tokens": round(statistics.mean(r["prompt_tokens"] for r in with_kv)) if with_kv else None,
            "kv_reused_pct": round(100 * sum(r["cached_tokens"] for r in with_kv)
                                   / max(1, sum(r["prompt_tokens"] for r in with_kv)), 1) if mode != "server" else None,
            "mean_evaluated_tokens": round(statistics.mean(r["prompt_tokens"] - r["cached_tokens"] for r in with_kv))
            if with_kv and mode != "server" else None,
            "mean_generated_tokens": round(statistics.mean(r.get("completion_tokens", 0) for r in req), 1) if req else None,
        }
        rows_by_mode[mode] = rows
    summary: dict[str, Any] = {
        "command": " ".join(sys.argv), "model": Path(args.model).name,
        "session": f"{args.file} {args.function}() body, {args.keystrokes} keystrokes, one request each; "
                   f"prefix {args.prefix_lines} lines, suffix {args.suffix_lines}, context budget {args.budget} tokens, "
                   f"{args.threads or os.cpu_count()} llama.cpp thread(s)",
        "machine": f"{os.cpu_count()} CPUs shared with other jobs (load average {os.getloadavg()[0]:.1f} at the end); "
                   "absolute times are noisy, the ratios are the figures",
        "modes": table,
    }
    if "embedded" in rows_by_mode and "naive" in rows_by_mode:
        # the naive way is given the same prompts; with greedy decoding it must write the same suggestions
        pairs = [(e, n) for e, n in zip(rows_by_mode["embedded"], rows_by_mode["naive"]) if not e["from_cache"]]
        summary["naive_same_suggestion"] = f"{sum(e['text'] == n['text'] for e, n in pairs)}/{len(pairs)}"
        # keystroke by keystroke (measured back to back under the same load): naive time / embedded time
        ratios = [n["latency_ms"] / max(e["latency_ms"], 0.1) for e, n in pairs]
        summary["naive_over_embedded_median_paired_requests"] = round(statistics.median(ratios), 1) if ratios else None
    if "embedded" in table and "naive" in table and table["embedded"]["p50_ms"]:
        summary["naive_over_embedded_p50"] = round(table["naive"]["p50_ms"] / table["embedded"]["p50_ms"], 1)
        summary["naive_over_embedded_p50_requests_only"] = round(
            table["naive"]["p50_request_ms"] / max(table["embedded"]["p50_request_ms"], 0.1), 1)
    (RESULTS / f"fim-latency-{args.name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [f"# FIM latency: {summary['model']}, replayed typing", "", f"`{summary['command']}`", "",
             f"{summary['session']}; {summary['machine']}.", "",
             "| mode | keystrokes | model requests | cache hits | p50 ms | p95 ms | p50 ms (requests) | "
             "p95 ms (requests) | prompt tokens | KV reused % | evaluated tokens | generated tokens |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for mode, t in table.items():
        lines.append(f"| {mode} | {t['keystrokes']} | {t['model_requests']} | {t['result_cache_hits']} | {t['p50_ms']} | "
                     f"{t['p95_ms']} | {t['p50_request_ms']} | {t['p95_request_ms']} | {t['mean_prompt_tokens']} | "
                     f"{'' if t['kv_reused_pct'] is None else t['kv_reused_pct']} | "
                     f"{'' if t['mean_evaluated_tokens'] is None else t['mean_evaluated_tokens']} | "
                     f"{'' if t['mean_generated_tokens'] is None else t['mean_generated_tokens']} |")
    if "naive_over_embedded_p50" in summary:
        hits = table["embedded"]["result_cache_hits"]
        lines += ["", f"naive p50 / embedded p50 over model requests only: "
                      f"**{summary['naive_over_embedded_p50_requests_only']}×**; over all keystrokes "
                      f"{summary['naive_over_embedded_p50']}× ({hits} of {table['embedded']['keystrokes']} keystrokes "
                      "typed into a shown suggestion and were answered by the result cache).", ""]
    if summary.get("naive_over_embedded_median_paired_requests"):
        lines += [f"Keystroke by keystroke, where the embedded engine made a model request: naive / embedded "
                  f"median {summary['naive_over_embedded_median_paired_requests']}×.", ""]
    if "naive_same_suggestion" in summary:
        lines += ["Same prompts, same stop rules, greedy decoding in every mode: the naive way evaluates the whole "
                  "prompt at each keystroke and generates the same tokens (identical suggestions on "
                  f"{summary['naive_same_suggestion']} of the embedded engine's model requests; the result cache "
                  "is off for it).", ""]
    (RESULTS / f"fim-latency-{args.name}.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", required=True)
    p.add_argument("--file", default="src/click/termui.py")
    p.add_argument("--function", default="confirm")
    p.add_argument("--model", required=True)
    p.add_argument("--name", default="qwen2.5-coder-0.5b")
    p.add_argument("--keystrokes", type=int, default=40)
    p.add_argument("--budget", type=int, default=1024)
    p.add_argument("--max-tokens", type=int, default=32)
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--prefix-lines", type=int, default=96)
    p.add_argument("--suffix-lines", type=int, default=16)
    p.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: all CPUs)")
    p.add_argument("--summary-only", action="store_true", help="table what is recorded, run nothing")
    args = p.parse_args()
    out_dir = RESULTS / f"fim-latency-{args.name}"
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.summary_only:
        summarize(args, out_dir)
        return
    states = typing_session(Path(args.repo).resolve(), args.file, args.function, args.keystrokes)
    todo = [mode for mode in args.modes.split(",") if not (out_dir / f"{mode}.jsonl").exists()
            or len((out_dir / f"{mode}.jsonl").read_text().splitlines()) != len(states)]  # a finished mode is kept
    if todo:
        run_modes(todo, args, states, out_dir)
    summarize(args, out_dir)


if __name__ == "__main__":
    main()
