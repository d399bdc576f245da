"""Run smallcoder on HumanEvalFix tasks and record resolve rate, time, tokens and cache reuse.

    python benchmarks/humanevalfix/run.py --model PATH.gguf --limit 40 --name qwen2.5-coder-1.5b

One model instance serves every task, so the KV cache stays warm across them.
Each task's result is saved as it finishes; re-running the same --name resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from shapes import reply_shapes  # noqa: E402
from tasks import load_tasks, make_repo, package_report, test_command, verify  # noqa: E402

DEFAULT_TASKS = HERE.parents[1].parent / "shared" / "benchmarks" / "humanevalfix" / "python.jsonl"
RESULTS = HERE.parent / "results"
# What can be switched off: the code and the repo map in the first prompt, loop detection (stuck
# detector, fresh attempts), history compaction, edits taken from ```python blocks, and the first reply
# started inside a ```python block (the cheap first shot).
WITHOUT = ("code", "map", "loop-detection", "compaction", "code-block-edits", "code-first")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model spec, as for `smallcoder fix --model`")
    ap.add_argument("--tasks", type=Path, default=DEFAULT_TASKS)
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=8)
    ap.add_argument("--tries", type=int, default=1, help="`smallcoder fix --tries`")
    ap.add_argument("--time-limit", type=float, help="wall-clock seconds per task (`smallcoder fix --time-limit`); "
                    "the summary then also counts tasks resolved within it")
    ap.add_argument("--name", required=True, help="results go to benchmarks/results/humanevalfix-<name>.*")
    ap.add_argument("--work", type=Path, default=HERE.parent / "work")
    ap.add_argument("--summary-only", action="store_true",
                    help="only (re)write the summary from the per-task results saved so far")
    ap.add_argument("--strict-parser", action="store_true",
                    help="read tool calls like a typical server-side parser (well-formed only), for comparison")
    ap.add_argument("--layout", choices=("single", "package"), default="single",
                    help="single: one file named in the report; package: the function hidden among "
                         "the other tasks' solutions, not named (see tasks.py)")
    ap.add_argument("--note", help="how the run was made, kept in the summary (the last note is kept otherwise)")
    ap.add_argument("--without", action="append", default=[], choices=WITHOUT,
                    help="switch a context measure off, to measure what it buys (repeatable)")
    args = ap.parse_args()

    out_dir = RESULTS / f"humanevalfix-{args.name}"
    per_task = out_dir / "tasks"
    per_task.mkdir(parents=True, exist_ok=True)

    from smallcoder.agent.prompts import render
    from smallcoder.config import load_config
    from smallcoder.paths import Home
    from smallcoder.session.setup import open_session
    from smallcoder.tools import default_tools, tool_specs
    from smallcoder.types import Message

    # Through the front door, as a user's run: the user's config (its [sandbox] table included), with
    # the benchmark's runs kept out of the user's store.
    config = load_config().with_flags(model=str(args.model))
    with open_session(config, Home(args.work / "home")) as session:
        backend = session.backend
        fixed_overhead = backend.count_tokens([Message("system", render("system"))], tool_specs(default_tools()))
        if not args.summary_only:
            run_tasks(session, args, per_task)
    summarize(out_dir, args, backend.name, fixed_overhead)


def run_tasks(session: Any, args: argparse.Namespace, per_task: Path) -> None:
    """Every task not yet saved under `per_task`, one after another (an interrupted run resumes)."""
    from smallcoder.agent.events import ToolExecuted
    from smallcoder.agent.loop import AgentConfig
    from smallcoder.session.fix import FixOptions
    from smallcoder.tools import default_tools

    edit_tools = {t.name for t in default_tools() if t.edits}

    tasks = load_tasks(args.tasks, args.limit, args.offset)
    pool = load_tasks(args.tasks, max(40, args.offset + args.limit))  # the package layout's haystack
    for i, task in enumerate(tasks, 1):
        saved = per_task / f"{task.slug}.json"
        if saved.exists():
            continue
        repo = make_repo(task, args.work / "repos" / args.name / task.slug, args.layout, pool)
        started = time.perf_counter()
        agent = AgentConfig(max_steps=args.max_steps, test_timeout=30, time_limit_s=args.time_limit)  # these tests take < 1 s; a loop is a bug
        if args.strict_parser:
            agent.parse = strict_parse_result
        agent.loop_detection = "loop-detection" not in args.without
        agent.compaction = "compaction" not in args.without
        agent.code_block_edits = "code-block-edits" not in args.without
        agent.code_first = "code-first" not in args.without
        options = FixOptions(test_command=test_command(args.layout), agent=agent, tries=args.tries,
                             show_code="code" not in args.without, show_map="map" not in args.without)
        report = task.report if args.layout == "single" else package_report(task)
        first_edit: list[float] = []

        def on_event(event: object) -> None:  # time to the first edit that was applied
            if isinstance(event, ToolExecuted) and event.ok and not first_edit and event.call.name in edit_tools:
                first_edit.append(time.perf_counter() - started)

        try:
            result = session.fix(report, repo, options, [on_event])
            record = {
                "task_id": task.task_id, "status": result.status, "reason": result.reason,
                "resolved": verify(task, Path(result.worktree), args.work / "verify" / task.slug, args.layout),
                "tests_after_passed": result.tests_after.passed if result.tests_after else None,
                "wall_s": round(result.wall_s, 2),
                "time_to_first_edit_s": round(first_edit[0], 2) if first_edit else None, "steps": result.steps, "model_calls": result.model_calls,
                "prompt_tokens": result.usage.prompt_tokens, "cached_tokens": result.usage.cached_tokens,
                "completion_tokens": result.usage.completion_tokens, "run_id": result.run_id,
            }
        except Exception as e:  # a crash is a result too: record it and go on
            record = {"task_id": task.task_id, "status": "error", "reason": f"{type(e).__name__}: {e}",
                      "resolved": False, "wall_s": round(time.perf_counter() - started, 2), "steps": 0,
                      "model_calls": 0, "prompt_tokens": 0, "cached_tokens": 0, "completion_tokens": 0}
        saved.write_text(json.dumps(record, indent=2), encoding="utf-8")
        shutil.rmtree(args.work / "verify" / task.slug, ignore_errors=True)
        print(f"[{i}/{len(tasks)}] {task.task_id}: {'RESOLVED' if record['resolved'] else record['status']} "
              f"in {record['wall_s']}s, {record['model_calls']} calls", flush=True)


def strict_parse_result(text, tools, dialect, native_calls=None):
    """The strict baseline parsers (benchmarks/parsers/strict.py) behind the agent's parser interface."""
    sys.path.insert(0, str(HERE.parent / "parsers"))
    from strict import strict_parse

    from smallcoder.protocol import ParseResult

    return ParseResult(content=text, calls=strict_parse(text, tools, dialect), errors=[], dialect=dialect)


def summarize(out_dir: Path, args: argparse.Namespace, model: str, fixed_overhead: int) -> None:
    records = [json.loads(p.read_text()) for p in sorted((out_dir / "tasks").glob("*.json"))]
    n = len(records)
    prompt = sum(r["prompt_tokens"] for r in records)
    cached = sum(r["cached_tokens"] for r in records)
    summary_path = RESULTS / f"humanevalfix-{args.name}.json"
    edits = [r["time_to_first_edit_s"] for r in records if r.get("time_to_first_edit_s") is not None]
    note = args.note or (json.loads(summary_path.read_text()).get("note") if summary_path.exists() else None)
    summary = {
        "benchmark": "humanevalfix-python", "model": model, "tasks": n, "tasks_requested": args.limit,
        "resolved": sum(r["resolved"] for r in records),
        "resolve_rate": round(sum(r["resolved"] for r in records) / n, 3) if n else 0,
        "median_wall_s": round(statistics.median(r["wall_s"] for r in records), 1) if n else 0,
        "total_wall_s": round(sum(r["wall_s"] for r in records), 1),
        "mean_model_calls": round(statistics.mean(r["model_calls"] for r in records), 2) if n else 0,
        "mean_steps": round(statistics.mean(r["steps"] for r in records), 2) if n else 0,
        "mean_prompt_tokens": round(prompt / n) if n else 0,
        "mean_uncached_prompt_tokens": round((prompt - cached) / n) if n else 0,  # read by the model, not the cache
        "mean_completion_tokens": round(sum(r["completion_tokens"] for r in records) / n) if n else 0,
        "kv_cache_share": round(cached / prompt, 3) if prompt else 0,
        "fixed_prompt_overhead_tokens": fixed_overhead,
        "median_time_to_first_edit_s": round(statistics.median(edits), 1) if edits else None,
        "median_wall_s_resolved": round(statistics.median(r["wall_s"] for r in records if r["resolved"]), 1)
        if any(r["resolved"] for r in records) else None,
        # the limit is checked between steps and while a reply streams, not while a prompt is read
        **({"time_limit_s": args.time_limit,
            "resolved_within_limit": sum(r["resolved"] and r["wall_s"] <= args.time_limit for r in records)}
           if args.time_limit else {}),
        "statuses": {s: sum(r["status"] == s for r in records) for s in sorted({r["status"] for r in records})},
        "ended_by_stuck_detector": sum(str(r.get("reason", "")).startswith("stuck") for r in records),
        "ended_by_format_errors": sum(str(r.get("reason", "")).endswith("without a usable tool call") for r in records),
        "reply_shapes": reply_shapes(args.work / "home" / "runs.sqlite3",
                                     [r["run_id"] for r in records if r.get("run_id")]),
        "time_split": time_spent(args.work / "home" / "runs.sqlite3",
                                 [r["run_id"] for r in records if r.get("run_id")]),
        "max_steps": args.max_steps,
        "tries": args.tries,
        "parser": "strict" if args.strict_parser else "smallcoder",
        "switched_off": sorted(args.without),
        "layout": args.layout,
        "command": " ".join(["python", "benchmarks/humanevalfix/run.py",
                             *(a for a in sys.argv[1:] if a != "--summary-only")]),
        "machine": f"{os.cpu_count()} CPUs",
        "date": time.strftime("%Y-%m-%d"),
        **({"note": note} if note else {}),
    }
    summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


def time_spent(db: Path, run_ids: list[str]) -> dict[str, Any]:
    """Where the runs' wall time went, summed over the runs (seconds) and as shares of it, from the run
    records' step timings (smallcoder/store/timing.py); runs recorded before step timings count as overhead."""
    from smallcoder.store.runs import RunStore
    from smallcoder.store.timing import PARTS, shares, time_split

    total = {"wall_s": 0.0, **{p: 0.0 for p in PARTS}}
    if not db.exists():
        return {}
    with RunStore(db) as store:
        for run_id in run_ids:
            split = time_split(store.get_run(run_id))["total"]
            for key in total:
                total[key] += split[key]
    return {"seconds": {k: round(v, 1) for k, v in total.items()}, "shares": shares(total)}


if __name__ == "__main__":
    main()
