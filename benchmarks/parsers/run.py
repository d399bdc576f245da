"""Parser benchmark: how many model outputs become the intended tool calls.

    PYTHONPATH=src python3 benchmarks/parsers/run.py

Over the fixture corpus (tests/fixtures/model_outputs: outputs written from the documented
formats, including the broken shapes users report, and outputs recorded from real
Qwen2.5-Coder 0.5B/1.5B GGUFs), compares smallcoder's parse_tool_calls with the strict
parsers in strict.py. Writes benchmarks/results/parsers.json and parsers.md.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Case, calls_equal, got_intended, load_cases, load_tools  # noqa: E402
from strict import strict_parse  # noqa: E402

from smallcoder.protocol import parse_tool_calls  # noqa: E402

COMMAND = "PYTHONPATH=src python3 benchmarks/parsers/run.py"
TIMING_ROUNDS = 20


def main() -> None:
    tools, cases = load_tools(), load_cases()
    rows = [_score(case, tools) for case in cases]
    report = {
        "command": COMMAND,
        "python": platform.python_version(),
        "corpus": {
            "outputs": len(cases),
            "documented": sum(not c.recorded for c in cases),
            "recorded_real_models": sum(c.recorded for c in cases),
            "recorded_heldout": sum(c.heldout for c in cases),
            "recoverable": sum(c.recoverable for c in cases),
        },
        "intended_calls": {
            "all": _shares(rows),
            "documented": _shares([r for r in rows if not r["recorded"]]),
            "recorded_real_models": _shares([r for r in rows if r["recorded"]]),
            "recorded_heldout": _shares([r for r in rows if r["heldout"]]),
        },
        "by_dialect_asked": {d: _shares(rs) for d, rs in sorted(_group(rows, "dialect").items())},
        "labelled_reading_exact": {
            "share": round(sum(r["exact"] for r in rows) / len(rows), 3),
            "note": "smallcoder returns exactly the labelled calls and number of errors",
        },
        "false_calls_on_outputs_without_a_call": _false_positives(rows),
        "parse_time_us_per_output": _timing(cases, tools),
        "misses": [
            {"id": r["id"], "smallcoder": r["smallcoder"], "strict": r["strict"]}
            for r in rows if r["recoverable"] and not r["smallcoder"]
        ],
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "parsers.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "parsers.md").write_text(_markdown(report))
    print((out / "parsers.md").read_text())


def _score(case: Case, tools: list) -> dict[str, Any]:
    ours = parse_tool_calls(case.text, tools, case.dialect)
    strict = strict_parse(case.text, tools, case.dialect)
    return {
        "id": case.id, "recorded": case.recorded, "heldout": case.heldout, "dialect": case.dialect or "none",
        "recoverable": case.recoverable, "no_call": not case.expected and case.expected_errors == 0,
        "smallcoder": got_intended(ours.calls, case), "strict": got_intended(strict, case),
        "exact": calls_equal(ours.calls, case.expected) and len(ours.errors) == case.expected_errors,
        "smallcoder_calls": len(ours.calls), "strict_calls": len(strict),
    }


def _shares(rows: list[dict[str, Any]]) -> dict[str, Any]:
    rec = [r for r in rows if r["recoverable"]]
    ours, strict = sum(r["smallcoder"] for r in rows), sum(r["strict"] for r in rows)
    return {
        "outputs": len(rows),
        "recoverable": len(rec),
        "smallcoder": ours,
        "strict": strict,
        "smallcoder_share_of_all": _ratio(ours, len(rows)),
        "strict_share_of_all": _ratio(strict, len(rows)),
        "smallcoder_share_of_recoverable": _ratio(ours, len(rec)),
        "strict_share_of_recoverable": _ratio(strict, len(rec)),
    }


def _false_positives(rows: list[dict[str, Any]]) -> dict[str, int]:
    empty = [r for r in rows if r["no_call"]]
    return {
        "outputs": len(empty),
        "smallcoder": sum(r["smallcoder_calls"] > 0 for r in empty),
        "strict": sum(r["strict_calls"] > 0 for r in empty),
    }


def _timing(cases: list[Case], tools: list) -> dict[str, Any]:
    result: dict[str, Any] = {"rounds": TIMING_ROUNDS}
    for name, fn in (("smallcoder", lambda c: parse_tool_calls(c.text, tools, c.dialect)),
                     ("strict", lambda c: strict_parse(c.text, tools, c.dialect))):
        per_case = []
        for case in cases:
            t0 = time.perf_counter()
            for _ in range(TIMING_ROUNDS):
                fn(case)
            per_case.append((time.perf_counter() - t0) / TIMING_ROUNDS * 1e6)
        result[name] = {"median": round(statistics.median(per_case), 1), "mean": round(statistics.mean(per_case), 1),
                        "max": round(max(per_case), 1)}
    return result


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return groups


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _markdown(r: dict[str, Any]) -> str:
    c = r["corpus"]
    lines = [
        "# Tool-call parser benchmark",
        "",
        f"Command: `{r['command']}` (Python {r['python']}).",
        "",
        f"Corpus: {c['outputs']} model outputs — {c['documented']} written from the documented formats "
        f"(including the broken shapes users report), {c['recorded_real_models']} recorded from real "
        f"Qwen2.5-Coder 0.5B/1.5B Q4_K_M GGUFs (llama-cpp-python). {c['recoverable']} contain the intended "
        "call in some readable form; the rest are model mistakes (hallucinated tool, missing arguments, prose only).",
        "",
        "Share of outputs turned into the intended call(s). Strict = the best of strict Hermes (vLLM-style "
        "`<tool_call>` + `json.loads`, all-or-nothing), strict Qwen3 XML (all closing tags), strict Mistral and "
        "strict LM Studio, each tried on every output.",
        "",
        "| outputs | n | recoverable | smallcoder (of all) | strict (of all) | smallcoder (of recoverable) | strict (of recoverable) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in list(r["intended_calls"].items()) + [(f"asked: {k}", v) for k, v in r["by_dialect_asked"].items()]:
        lines.append(
            f"| {name} | {s['outputs']} | {s['recoverable']} | {_pct(s['smallcoder_share_of_all'])} | "
            f"{_pct(s['strict_share_of_all'])} | {_pct(s['smallcoder_share_of_recoverable'])} | "
            f"{_pct(s['strict_share_of_recoverable'])} |"
        )
    fp, t = r["false_calls_on_outputs_without_a_call"], r["parse_time_us_per_output"]
    lines += [
        "",
        f"Exact labelled reading (calls and error count): {_pct(r['labelled_reading_exact']['share'])} of outputs.",
        f"Calls invented on the {fp['outputs']} outputs that hold no call: smallcoder {fp['smallcoder']}, strict {fp['strict']}.",
        f"Parse time per output (µs, median / mean / max): smallcoder {t['smallcoder']['median']} / "
        f"{t['smallcoder']['mean']} / {t['smallcoder']['max']}; strict {t['strict']['median']} / "
        f"{t['strict']['mean']} / {t['strict']['max']}.",
        "",
        "Recoverable outputs smallcoder misses: " + (", ".join(m["id"] for m in r["misses"]) or "none") + ".",
        "",
        "How to read this: the documented outputs were written alongside the parsers and double as their "
        "tests, so smallcoder's 100% there is by construction; they measure how much of the reported breakage "
        "strict parsers lose. The first recorded set was seen while the parsers were developed (nameless "
        "`<parameter>` tags, `<function=x/>`, arguments passed to a tool without parameters were handled after "
        "seeing it). The held-out set was recorded afterwards with new prompts and labelled before any parser "
        "change; it is the unbiased figure. Real Qwen2.5-Coder 0.5B/1.5B outputs use ```json fences instead of "
        "`<tool_call>` (or skip the `<tool_call>` wrapper under XML instructions), which is why every strict "
        "parser reads none of them.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
