"""Time to first token of a new run's first request, cold vs warm prompt-state cache (issue 21).

A "new run" is `smallcoder fix` through the front door (`open_session`) in a fresh session, so
llama.cpp's KV cache in memory is empty: the first request's prompt (system prompt + tool schemas,
then the task with the code and the failing tests) is evaluated from scratch — **cold** — unless
the KV state of its fixed prefix was saved by an earlier run under the session's home
(`home.cache/kv-prefix`, backends/prefix_state.py) and is loaded instead — **warm**.

For each model and repetition: a cold run in an empty home (it evaluates the prefix and saves its
state), then a warm run in a new session on the same home, on another HumanEvalFix task (single
layout) each repetition. Only the first request matters, so each run stops after one step with a
reply of at most 8 tokens. Threads: 1 (`--threads`), so a benchmark running beside it changes
absolute times, not the ratio; `--note` names such load in the results.

    python benchmarks/ttft/run.py [--models 0.5b 1.5b] [--reps 3] [--threads 1] [--note "..."]

Writes benchmarks/results/ttft.json (every measurement) and ttft.md (medians side by side). Models not
measured in this run keep their earlier figures, each shown with its own command and conditions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "humanevalfix"))

from tasks import load_tasks, make_repo, test_command  # noqa: E402

from smallcoder.agent.events import ModelCalled  # noqa: E402
from smallcoder.agent.loop import AgentConfig  # noqa: E402
from smallcoder.config import load_config  # noqa: E402
from smallcoder.paths import Home  # noqa: E402
from smallcoder.session.fix import FixOptions  # noqa: E402
from smallcoder.session.setup import open_session  # noqa: E402

RESULTS = HERE.parent / "results"
MODELS = Path(os.environ.get("SMALLCODER_TEST_MODELS", Path.home() / ".cache/smallcoder-test-models"))
TASKS = HERE.parents[1].parent / "shared" / "benchmarks" / "humanevalfix" / "python.jsonl"


def first_request(model: Path, home: Path, task: Any, work: Path, threads: int) -> dict[str, Any]:
    """One fix run of one step in a new session; the figures of its first model call."""
    seen: list[Any] = []
    config = load_config().with_flags(model=str(model), threads=threads)
    repo = make_repo(task, work / f"repo-{time.monotonic_ns()}")
    with open_session(config, Home(home)) as session:
        options = FixOptions(test_command=test_command("single"),
                             agent=AgentConfig(max_steps=1, max_reply_tokens=8, test_timeout=30))
        session.fix(task.report, repo, options, [lambda e: seen.append(e.completion)
                                                 if isinstance(e, ModelCalled) else None])
        record = dict(session.backend.run_record)
    c = seen[0]
    return {"ttft_s": round(c.ttft_s, 3), "prompt_tokens": c.usage.prompt_tokens,
            "cached_tokens": c.usage.cached_tokens, "prompt_state": record.get("prompt_state", ""),
            "task": task.task_id}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["0.5b", "1.5b"])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tasks", type=Path, default=TASKS)
    ap.add_argument("--note", default="", help="what else ran on the machine meanwhile (default: nothing)")
    args = ap.parse_args()
    tasks = load_tasks(args.tasks, args.reps)
    rows: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="ttft-"))
    try:
        for size in args.models:
            model = MODELS / f"qwen2.5-coder-{size}-instruct-q4_k_m.gguf"
            if not model.is_file():
                print(f"skip {size}: {model} absent", file=sys.stderr)
                continue
            for rep, task in enumerate(tasks, 1):
                home = work / f"home-{size}-{rep}"  # empty: the cold run saves, the warm run loads
                for kind in ("cold", "warm"):
                    row = {"model": size, "rep": rep, "kind": kind,
                           **first_request(model, home, task, work, args.threads)}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                states = list((home / "cache" / "kv-prefix").glob("*.kv"))
                rows[-1]["state_file_bytes"] = states[0].stat().st_size if states else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write(rows, args)


def write(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """Update ttft.json/ttft.md for the models measured now; other models keep their earlier figures,
    each with the command, conditions and date it was measured under."""
    by_model = _saved_by_model()
    conditions = f"{os.cpu_count()} CPUs, {args.threads} thread(s), " + (args.note or "nothing else running")
    for size in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == size]
        by_model[size] = {"summary": _summary(mine), "rows": mine, "conditions": conditions,
                          "command": " ".join(["python", "benchmarks/ttft/run.py", *sys.argv[1:]]),
                          "date": time.strftime("%Y-%m-%d")}
    RESULTS.mkdir(exist_ok=True)
    out = {"benchmark": "ttft-first-request", "by_model": by_model}
    (RESULTS / "ttft.json").write_text(json.dumps(out, indent=2) + "\n")
    lines = ["# Time to first token of a new run's first request: cold vs warm prompt state", "",
             "Each repetition: a new session in an empty home (cold: evaluates the whole first prompt and saves "
             "the fixed prefix's KV state), then a new session on the same home (warm: loads it), on HumanEvalFix "
             "task N (single layout).", "",
             "| model | first prompt (tokens) | fixed prefix loaded (tokens) | cold TTFT (median) | warm TTFT (median) "
             "| speed-up | bound by token count | state file | measured |", "|---|---|---|---|---|---|---|---|---|"]
    for size, m in by_model.items():
        s = m["summary"]
        lines.append(f"| Qwen2.5-Coder-{size.upper()} Q4_K_M | {s['prompt_tokens_median']:.0f} | {s['prefix_tokens']} "
                     f"| {s['cold_median_s']} s | {s['warm_median_s']} s | {s['speedup']}× "
                     f"| {s['prompt_tokens_median'] / (s['prompt_tokens_median'] - s['prefix_tokens']):.2f}× "
                     f"| {s['state_file_mib']} MiB "
                     f"| `{m['command']}`, {m['conditions']}, {m['date']} |")
    lines += ["", "The fixed prefix (system prompt + tool schemas) is about half of a HumanEvalFix first prompt; the "
              "other half (the task, the code, the failing tests) differs in every run and is still evaluated. "
              "By token count the first request can then be faster by the first prompt's size over the part "
              "still evaluated (the bound shown); measured pairs land near it, on either side. The prefix itself is read from a file of the size shown instead "
              "of ~1,000 tokens evaluated. Absolute times depend on the load named in each row; compare within a "
              "pair."]
    lines += ["", "Every measurement:", "", "| model | rep | kind | TTFT | prompt | cached | prompt state |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['model']} | {r['rep']} | {r['kind']} | {r['ttft_s']} s | {r['prompt_tokens']} | "
              f"{r['cached_tokens']} | {r['prompt_state']} |" for m in by_model.values() for r in m["rows"]]
    (RESULTS / "ttft.md").write_text("\n".join(lines) + "\n")
    print(json.dumps({size: m["summary"] for size, m in by_model.items()}, indent=2))


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of one model's cold and warm first requests."""
    cold = [r["ttft_s"] for r in rows if r["kind"] == "cold"]
    warm_rows = [r for r in rows if r["kind"] == "warm"]
    warm = [r["ttft_s"] for r in warm_rows]
    return {"cold_median_s": round(statistics.median(cold), 2), "warm_median_s": round(statistics.median(warm), 2),
            "speedup": round(statistics.median(cold) / statistics.median(warm), 2),
            "prompt_tokens_median": statistics.median(r["prompt_tokens"] for r in warm_rows),
            "prefix_tokens": warm_rows[0]["cached_tokens"],
            "state_file_mib": round(max(r.get("state_file_bytes", 0) for r in warm_rows) / 2**20, 1)}


def _saved_by_model() -> dict[str, dict[str, Any]]:
    """The figures already in ttft.json, per model (the older one-command layout converted)."""
    path = RESULTS / "ttft.json"
    if not path.is_file():
        return {}
    saved = json.loads(path.read_text())
    if "by_model" in saved:
        return dict(saved["by_model"])
    return {size: {"summary": summary, "rows": [r for r in saved["rows"] if r["model"] == size],
                   "conditions": saved["machine"], "command": saved["command"], "date": saved["date"]}
            for size, summary in saved["summary"].items()}


if __name__ == "__main__":
    main()
