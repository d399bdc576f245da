"""The same model in process versus behind a server: speed, cache reuse and wall time.

    python benchmarks/backends/run.py --model ~/.cache/smallcoder-test-models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

Runs each HumanEvalFix task twice, on the embedded engine and then on `python -m
llama_cpp.server` (loopback port, OpenAI-compatible backend); task by task, so both
meet the same machine load, and never at once. Both use the same GGUF, context,
threads, batch size and greedy sampling. The prompts still differ by a few tokens
(pytest prints its run time), so the two runs of a task may take different paths:
compare the per-call figures first. Per model call it records time to first token,
tokens/s, and the prompt tokens actually evaluated (the rest came from the KV cache):
the embedded engine knows this itself; for the server it is read from the server's
own log ("N prefix-match hit, remaining M prompt tokens to eval"), which also gives
the exact prompt size (its streamed answers carry no usage).

Writes benchmarks/results/backends.json and backends.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "humanevalfix"))

from tasks import load_tasks, make_repo, verify  # noqa: E402

DEFAULT_TASKS = HERE.parents[1].parent / "shared" / "benchmarks" / "humanevalfix" / "python.jsonl"
RESULTS = HERE.parent / "results"
_EVAL = re.compile(r"prompt eval time =\s*[\d.]+ ms /\s*(\d+) tokens")
_HIT = re.compile(r"(\d+) prefix-match hit, remaining (\d+) prompt tokens to eval")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerLog:
    """Reads the llama_cpp.server log as it grows: prompt tokens evaluated per request."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0

    def since_last(self) -> tuple[int, int] | None:
        """(prompt tokens, of which evaluated) for the requests logged since the last call."""
        with self.path.open(encoding="utf-8", errors="replace") as f:
            f.seek(self.offset)
            text = f.read()
            self.offset = f.tell()
        hits = _HIT.findall(text)
        if hits:
            return sum(int(a) + int(b) for a, b in hits), sum(int(b) for _, b in hits)
        evals = [int(n) for n in _EVAL.findall(text)]
        return (sum(evals), sum(evals)) if evals else None


def start_server(model: Path, n_ctx: int, threads: int, log: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--n_ctx", str(n_ctx),
         "--n_threads", str(threads), "--n_threads_batch", str(threads), "--n_batch", "512",
         "--host", "127.0.0.1", "--port", str(port), "--verbose", "True"],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"llama_cpp.server exited ({proc.returncode}); see {log}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    sys.exit("llama_cpp.server did not start within 300 s")


def run_task(kind: str, session: Any, task: Any, args: argparse.Namespace, log: ServerLog | None) -> dict[str, Any]:
    from smallcoder.agent.events import ModelCalled
    from smallcoder.agent.loop import AgentConfig
    from smallcoder.session.fix import FixOptions

    calls: list[dict[str, Any]] = []

    def observe(event: object) -> None:
        if isinstance(event, ModelCalled):
            c = event.completion
            prompt, processed = c.usage.prompt_tokens, c.usage.prompt_tokens - c.usage.cached_tokens
            # llama-cpp-python's server reports neither: its log has the exact figures
            logged = log.since_last() if log else None
            if logged:  # a fully cached prompt logs no hit line: keep the counted size then
                prompt, processed = logged[0] or prompt, logged[1]
            calls.append({"step": event.step, "prompt_tokens": prompt, "processed": processed,
                          "completion_tokens": c.usage.completion_tokens, "ttft_s": c.ttft_s,
                          "tokens_per_s": c.tokens_per_s, "latency_s": round(c.latency_s, 3),
                          "load_avg_1m": round(os.getloadavg()[0], 2)})

    repo = make_repo(task, args.work / "repos" / f"backends-{kind}" / task.slug)
    options = FixOptions(test_command=f"{sys.executable} -m pytest -q -p no:cacheprovider test_solution.py",
                         agent=AgentConfig(max_steps=args.max_steps))
    started = time.perf_counter()
    result = session.fix(task.report, repo, options, [observe])
    wall = time.perf_counter() - started
    resolved = verify(task, Path(result.worktree), args.work / "verify" / f"backends-{kind}" / task.slug)
    print(f"[{kind}] {task.task_id}: {'RESOLVED' if resolved else result.status} in {wall:.1f}s, "
          f"{len(calls)} calls", flush=True)
    return {"task_id": task.task_id, "resolved": resolved, "status": result.status, "wall_s": round(wall, 2),
            "calls": calls}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def summarize(kind: str, per_task: list[dict[str, Any]], opened_s: float) -> dict[str, Any]:
    calls = [c for t in per_task for c in t["calls"]]
    prompt = sum(c["prompt_tokens"] for c in calls)
    processed = sum(c["processed"] or 0 for c in calls)
    # Prompt processing speed: time to first token per evaluated token, on calls that evaluated enough.
    eval_ms = [1000 * c["ttft_s"] / c["processed"] for c in calls if c["ttft_s"] and (c["processed"] or 0) >= 100]
    return {
        "backend": kind, "load_s": round(opened_s, 2), "tasks": len(per_task),
        "resolved": sum(t["resolved"] for t in per_task), "model_calls": len(calls),
        "total_wall_s": round(sum(t["wall_s"] for t in per_task), 1),
        "ttft_s_median_first_step": _median([c["ttft_s"] for c in calls if c["step"] == 1 and c["ttft_s"]]),
        "ttft_s_median_later_steps": _median([c["ttft_s"] for c in calls if c["step"] > 1 and c["ttft_s"]]),
        "prompt_ms_per_evaluated_token_median": _median(eval_ms),
        "tokens_per_s_median": _median([c["tokens_per_s"] for c in calls if c["tokens_per_s"]]),
        "prompt_tokens": prompt, "prompt_tokens_processed": processed,
        "processed_per_call_mean": round(processed / len(calls), 1) if calls else None,
        "cache_reuse_share": round(1 - processed / prompt, 3) if prompt else None,
        "load_avg_1m_median": _median([c["load_avg_1m"] for c in calls]),
        "per_task": per_task,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="a GGUF file")
    ap.add_argument("--tasks", type=Path, default=DEFAULT_TASKS)
    ap.add_argument("--limit", type=int, default=5)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=6)
    ap.add_argument("--n-ctx", type=int, default=8192)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--work", type=Path, default=HERE.parent / "work")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the server too
    from smallcoder.config import load_config
    from smallcoder.paths import Home
    from smallcoder.session.setup import open_session

    # Both backends through the front door, as a user's runs; benchmark runs stay out of the user's store.
    home = Home(args.work / "home")
    config = load_config().with_flags(ctx=args.n_ctx, threads=args.threads, temperature=0.0)

    tasks = load_tasks(args.tasks, args.limit, args.offset)
    t0 = time.perf_counter()
    stack = contextlib.ExitStack()
    embedded = stack.enter_context(open_session(config.with_flags(model=str(args.model.expanduser())), home))
    embedded_load = time.perf_counter() - t0
    log_path = args.work / "llama_cpp_server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    proc, url = start_server(args.model.expanduser(), args.n_ctx, args.threads, log_path)
    runs: dict[str, list[dict[str, Any]]] = {"embedded": [], "llama_cpp.server": []}
    try:
        server = stack.enter_context(open_session(config.with_flags(model=f"openai:{url}"), home))
        server_load = time.perf_counter() - t0
        log = ServerLog(log_path)
        log.since_last()  # skip start-up and the context probe
        # Task by task, one backend then the other (never at once): both meet the same machine load.
        for task in tasks:
            runs["embedded"].append(run_task("embedded", embedded, task, args, None))
            runs["llama_cpp.server"].append(run_task("llama_cpp.server", server, task, args, log))
    finally:
        stack.close()  # the sessions first (their backends), then the server process
        proc.terminate()
        proc.wait(timeout=30)
    write([summarize("embedded", runs["embedded"], embedded_load),
           summarize("llama_cpp.server", runs["llama_cpp.server"], server_load)], args)


def write(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    meta = {"model": args.model.name, "tasks": args.limit, "offset": args.offset, "max_steps": args.max_steps,
            "n_ctx": args.n_ctx, "threads": args.threads, "machine": f"{os.cpu_count()} CPUs",
            "command": " ".join(["python", "benchmarks/backends/run.py", *sys.argv[1:]]),
            "date": time.strftime("%Y-%m-%d")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {**meta, "results": results}
    (RESULTS / "backends.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "backends.md").write_text(render_md(data))
    print(render_md(data))


def render_md(data: dict[str, Any]) -> str:
    rows = ["| backend | resolved | model calls | total wall s | load s | TTFT median, step 1 s | TTFT median, "
            "steps ≥2 s | prompt ms per evaluated token | tokens/s median | prompt tokens | evaluated | "
            "cache reuse | load avg |", "|" + "---|" * 13]
    for r in data["results"]:
        rows.append(f"| {r['backend']} | {r['resolved']}/{r['tasks']} | {r['model_calls']} | {r['total_wall_s']} | "
                    f"{r['load_s']} | {r['ttft_s_median_first_step']} | {r['ttft_s_median_later_steps']} | "
                    f"{r['prompt_ms_per_evaluated_token_median']} | {r['tokens_per_s_median']} | "
                    f"{r['prompt_tokens']} | {r['prompt_tokens_processed']} | {r['cache_reuse_share']} | "
                    f"{r['load_avg_1m_median']} |")
    lines = [f"# Backends: embedded vs llama_cpp.server ({data['model']})", "",
             f"Command: `{data['command']}` on {data['machine']}, {data['date']}. Same GGUF, n_ctx {data['n_ctx']}, "
             f"{data['threads']} threads, greedy sampling, {data['tasks']} HumanEvalFix tasks, at most "
             f"{data['max_steps']} steps each; per task, one backend then the other.", "", *rows, "",
             "Columns: *load s* opening the backend (the server: start-up, model load, context probe); *TTFT* "
             "time to first token of each model call; *prompt ms per evaluated token* TTFT divided by the prompt "
             "tokens actually evaluated, on calls that evaluated at least 100 (prompt-processing speed, "
             "independent of the path a run took); *tokens/s* generation speed; *evaluated* prompt tokens not "
             "served from the KV cache; *cache reuse* 1 − evaluated / prompt tokens; *load avg* the machine's "
             "1-minute load during the calls (2 = the benchmark alone on 2 cores).", "",
             "Per call, per task: `backends.json`."]
    if data.get("notes"):
        lines += ["", *data["notes"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
