"""Put the HumanEvalFix runs side by side: benchmarks/results/humanevalfix.md.

    python benchmarks/humanevalfix/compare.py

Reads every benchmarks/results/humanevalfix-*.json summary written by run.py. Runs are
comparable only on the same tasks, so each row says which tasks it covers.
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results"

COLUMNS = (
    ("resolved", lambda s: f"{s['resolved']}/{s['tasks']} ({s['resolve_rate']:.1%})"),
    ("median wall", lambda s: f"{s['median_wall_s']} s"),
    ("median wall per resolved task", lambda s: _seconds(s.get("median_wall_s_resolved"))),
    ("median time to first edit", lambda s: _seconds(s.get("median_time_to_first_edit_s"))),
    ("time limit per task", lambda s: _seconds(s.get("time_limit_s") or s.get("budget_s"))),
    ("steps", lambda s: str(s.get("mean_steps", "–"))),
    ("model calls", lambda s: str(s["mean_model_calls"])),
    ("prompt tokens", lambda s: f"{s['mean_prompt_tokens']:,}"),
    ("uncached prompt tokens", lambda s: f"{s['mean_uncached_prompt_tokens']:,}" if "mean_uncached_prompt_tokens" in s
     else "–"),
    ("completion tokens", lambda s: f"{s['mean_completion_tokens']:,}"),
    ("KV cache share", lambda s: f"{s['kv_cache_share']:.0%}"),
    ("ended by stuck detector", lambda s: str(s["ended_by_stuck_detector"])),
    ("ended by format errors", lambda s: str(s.get("ended_by_format_errors", "–"))),
    ("replies: python block / tool-call syntax", lambda s: _shapes(s.get("reply_shapes"))),
    ("time: prompt / generation / tools+tests / overhead", lambda s: _split(s.get("time_split"))),
)


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:g} s"


def _split(split: dict | None) -> str:
    """Shares of the runs' wall time (run.py's time_split, from the run records' step timings)."""
    shares = (split or {}).get("shares")
    if not shares:
        return "–"
    return (f"{shares['prompt_s']:.0%} / {shares['generation_s']:.0%} / "
            f"{shares['tools_s'] + shares['tests_s']:.0%} / {shares['overhead_s']:.0%}")


def _shapes(shares: dict | None) -> str:
    if not shares:
        return "–"
    calls = shares["hermes_tool_call"] + shares["json_fence"] + shares["bare_json"]
    return f"{shares['python_block']:.0%} / {calls:.0%}"


def describe(summary: dict) -> str:
    parts = [f"layout {summary.get('layout', 'single')}", f"parser {summary['parser']}"]
    off = summary.get("switched_off") or []
    parts.append("without " + ", ".join(off) if off else "everything on")
    return "; ".join(parts)


def main() -> None:
    summaries = sorted(RESULTS.glob("humanevalfix-*.json"))
    lines = [
        "# HumanEvalFix (Python) runs",
        "",
        "Per task means; `uncached` = prompt tokens the model had to read (not served from the KV cache).",
        "Replies: share of all model replies that held a ```python block, and that held tool-call syntax",
        "(a `<tool_call>` tag, a ```json fence or a bare JSON object); see shapes.py.",
        "Written by `python benchmarks/humanevalfix/compare.py` from the summaries next to this file;",
        "each summary records the command that produced it.",
        "",
        "| run | setting | " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|---|---|" + "---|" * len(COLUMNS),
    ]
    for path in summaries:
        summary = json.loads(path.read_text(encoding="utf-8"))
        run = path.stem.removeprefix("humanevalfix-")
        lines.append(f"| {run} | {describe(summary)} | " + " | ".join(fmt(summary) for _, fmt in COLUMNS) + " |")
    out = RESULTS / "humanevalfix.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
