"""What each page shows, as template contexts: query parsing, timelines, comparisons, charts.

Kept apart from the HTTP layer (app.py) so every page's content can be built and
checked without a server. Errors in what the user asked (a bad date, an unknown
run id) are raised as SmallcoderError subclasses with a one-line message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from smallcoder.errors import SmallcoderError
from smallcoder.store.read import SORT_KEYS, RunQuery, RunQueryError, RunReader
from smallcoder.tools import default_tools
from smallcoder.units import duration as secs
from smallcoder.viewer.bench_results import BenchResults
from smallcoder.viewer.format import count, diff_html, diff_stats, pct
from smallcoder.viewer.plots import Bar, Chart, bar_chart, stacked_columns
from smallcoder.viewer.timeline import Step, Timeline, build_timeline

PAGE_SIZE = 50


class RunNotFound(SmallcoderError):
    """The page names a run that is not in the store (or a prefix that matches several)."""


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RunQueryError(f"'{name}' must be a date like 2026-11-30, not '{value}'") from None


def parse_query(params: Mapping[str, str]) -> RunQuery:
    """A RunQuery from the list page's URL parameters (status, model, repo, since, until, q, sort, order, page)."""
    try:
        page = max(1, int(params.get("page") or 1))
    except ValueError:
        raise RunQueryError(f"'page' must be a number, not '{params.get('page')}'") from None
    order = params.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise RunQueryError(f"'order' must be asc or desc, not '{order}'")
    return RunQuery(
        status=params.get("status", ""), model=params.get("model", ""), repo=params.get("repo", ""),
        since=_day(params.get("since", ""), "since"), until=_day(params.get("until", ""), "until"),
        text=params.get("q", ""), sort=params.get("sort") or "started", descending=order == "desc",
        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
    )


def runs_page(reader: RunReader, params: Mapping[str, str]) -> dict[str, Any]:
    query = parse_query(params)
    page = reader.query(query)
    number = query.offset // PAGE_SIZE + 1
    return {
        "page": page, "facets": reader.facets(), "params": dict(params), "sort_keys": list(SORT_KEYS),
        "page_number": number, "pages": max(1, -(-page.total // PAGE_SIZE)),
    }


def _detail(reader: RunReader, ref: str) -> dict[str, Any]:
    try:
        return reader.detail(ref)
    except SmallcoderError as e:
        raise RunNotFound(str(e)) from e


def step_charts(timeline: Timeline) -> list[Chart]:
    """Time and tokens per step, for the run page's overview."""
    steps = timeline.steps
    labels = [str(s.number) for s in steps]
    time_chart = stacked_columns(
        "time per step", [
            ("c-ttft", "time to first token", [s.ttft_s or 0.0 for s in steps]),
            ("c-decode", "decode", [s.decode_s or 0.0 for s in steps]),
            # Backends that do not stream (or records from before TTFT was kept) give one latency only.
            ("c-model", "model call, not split", [s.model_s if s.ttft_s is None else 0.0 for s in steps]),
            ("c-tool", "tools", [s.tool_s for s in steps]),
            ("c-test", "tests", [s.test_s for s in steps]),
        ], labels, secs, "seconds")
    token_chart = stacked_columns(
        "tokens per step", [
            ("c-cached", "prompt, from KV cache", [float(s.cached_tokens) for s in steps]),
            ("c-uncached", "prompt, processed", [float(s.uncached_tokens) for s in steps]),
            ("c-completion", "completion", [float(s.completion_tokens) for s in steps]),
        ], labels, count, "tokens")
    return [time_chart, token_chart]


@dataclass(frozen=True)
class RunView:
    detail: dict[str, Any]
    timeline: Timeline
    totals: dict[str, Any]

    @property
    def run(self) -> dict[str, Any]:
        return self.detail["run"]  # type: ignore[no-any-return]

    @property
    def extra(self) -> dict[str, Any]:
        return self.run.get("extra") or {}


def run_view(reader: RunReader, ref: str) -> RunView:
    detail = _detail(reader, ref)
    timeline = build_timeline(detail)
    return RunView(detail, timeline, timeline.totals())


@cache
def _edit_tools() -> frozenset[str]:
    """The tools that change source files, as they declare themselves (tools/base.py `edits`)."""
    return frozenset(t.name for t in default_tools() if t.edits)


# Which steps the timeline shows: ?show=… on the run page (long runs are easier read by their trouble).
STEP_FILTERS: dict[str, Callable[[Step], bool]] = {
    "all": lambda s: True,
    "problems": lambda s: bool({"format", "fresh"} & s.kinds) or s.compacted or any(not c["ok"] for c in s.calls()),
    "edits": lambda s: any(c["tool"] in _edit_tools() for c in s.calls()),
    "tests": lambda s: "test" in s.kinds,
}



def run_page(reader: RunReader, ref: str, show: str = "all") -> dict[str, Any]:
    """The run page's context; `show` picks the steps listed (STEP_FILTERS), the charts keep them all."""
    if show not in STEP_FILTERS:
        raise RunQueryError(f"'show' must be one of {', '.join(STEP_FILTERS)}, not '{show}'")
    view = run_view(reader, ref)
    extra = view.extra
    endpoint = {k: extra[k] for k in ("runtime", "endpoint", "remote_endpoint", "context_window",
                                      "context_source", "num_ctx", "tools") if k in extra}
    shown = {"isolation", "stop_reason", *endpoint}
    return {
        "view": view, "run": view.run, "timeline": view.timeline, "totals": view.totals,
        "charts": step_charts(view.timeline) if view.timeline.steps else [],
        "isolation": extra.get("isolation"), "endpoint": endpoint, "stop_reason": extra.get("stop_reason"),
        "other_extra": {k: v for k, v in extra.items() if k not in shown},
        "diff": diff_html(view.run["diff"]) if view.run["diff"].strip() else None,
        "diff_stats": diff_stats(view.run["diff"]),
        "show": show, "step_filters": list(STEP_FILTERS),
        "shown_steps": [st for st in view.timeline.steps if STEP_FILTERS[show](st)],
    }


# -- compare ------------------------------------------------------------------

# Figures where more is better; for every other one, less is.
_HIGHER_IS_BETTER = {"cached_tokens", "t:tokens_per_s_median"}
_COMPARED: list[tuple[str, str, Any]] = [
    # (label, key in run or totals, formatter)
    ("steps", "steps", str), ("model calls", "model_calls", str), ("wall time", "wall_s", secs),
    ("prompt tokens", "prompt_tokens", count), ("cached prompt tokens", "cached_tokens", count),
    ("completion tokens", "completion_tokens", count), ("model time", "t:model_s", secs),
    ("time to first token (sum)", "t:ttft_s", secs), ("time to first token (median)", "t:ttft_median_s", secs),
    ("decode time", "t:decode_s", secs), ("decode speed (median tokens/s)", "t:tokens_per_s_median",
                                          lambda v: f"{v:.1f}"),
    ("tool time", "t:tool_s", secs), ("test time", "t:test_s", secs), ("tool calls", "t:tool_calls", str),
    ("failed tool calls", "t:failed_tool_calls", str), ("format problems", "t:format_problems", str),
    ("fresh attempts", "t:fresh_attempts", str),
]


def _figure(view: RunView, key: str) -> Any:
    return view.totals.get(key[2:]) if key.startswith("t:") else view.run.get(key)


def compare_rows(a: RunView, b: RunView) -> list[dict[str, Any]]:
    """One row per figure: both values written out, and B − A where both are numbers.

    The better value is marked only when both runs ended the same way: fewer tokens are no
    virtue in a run that gave up.
    """
    judge = a.run["status"] == b.run["status"]
    rows = []
    for label, key, fmt in _COMPARED:
        va, vb = _figure(a, key), _figure(b, key)
        delta = ""
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and va != vb:
            sign = "+" if vb > va else "−"
            delta = f"{sign}{fmt(abs(vb - va))}"
            if va:
                delta += f" ({(vb - va) / va:+.0%})"
        rows.append({"label": label, "a": "–" if va is None else fmt(va), "b": "–" if vb is None else fmt(vb),
                     "delta": delta, "better": _better(va, vb, key in _HIGHER_IS_BETTER) if judge else ""})
    return rows


def _better(va: Any, vb: Any, higher: bool) -> str:
    if not isinstance(va, (int, float)) or not isinstance(vb, (int, float)) or va == vb:
        return ""
    return "b" if (vb > va) == higher else "a"


def compare_page(reader: RunReader, refs: list[str]) -> dict[str, Any]:
    """Two runs side by side; with fewer than two ids, a picker of recent runs."""
    refs = [r for r in refs if r.strip()]
    if len(refs) < 2:
        return {"picking": True, "recent": reader.recent(), "chosen": refs}
    if len(refs) > 2:
        raise RunQueryError(f"compare takes two runs, got {len(refs)}")
    a, b = run_view(reader, refs[0]), run_view(reader, refs[1])
    n = max(len(a.timeline.steps), len(b.timeline.steps))
    pairs = [(a.timeline.steps[i] if i < len(a.timeline.steps) else None,
              b.timeline.steps[i] if i < len(b.timeline.steps) else None) for i in range(n)]
    return {
        "picking": False, "a": a, "b": b, "rows": compare_rows(a, b), "pairs": pairs,
        "same_task": a.run["task"].strip() == b.run["task"].strip(),
        "diffs": [diff_html(v.run["diff"]) if v.run["diff"].strip() else None for v in (a, b)],
    }


# -- benchmarks ------------------------------------------------------------------


def benchmark_charts(results: BenchResults) -> list[Chart]:
    """Resolve rate, tokens per resolved task, time per step, KV reuse; then backends and parsers."""
    sets = results.task_sets
    charts: list[Chart] = []
    if sets:
        charts.append(bar_chart("resolve rate", [Bar(s.name, s.resolve_rate, f"{s.resolve_rate:.0%} "
                                                     f"({s.resolved}/{s.tasks})") for s in sets], pct, top=1.0))
        per_resolved = [s for s in sets if s.tokens_per_resolved is not None]
        if per_resolved:
            charts.append(bar_chart("tokens per resolved task (prompt + completion)", [
                Bar(s.name, s.tokens_per_resolved or 0.0, count(s.tokens_per_resolved)) for s in per_resolved],
                count, css="b1"))
        per_step = [s for s in sets if s.seconds_per_step is not None]
        if per_step:
            charts.append(bar_chart("wall time per step", [
                Bar(s.name, s.seconds_per_step or 0.0, secs(s.seconds_per_step)) for s in per_step], secs, css="b2",
                note="includes tool and test time; measured on a shared 2-CPU machine"))
        reuse = [s for s in sets if s.kv_cache_share is not None]
        if reuse:
            charts.append(bar_chart("share of prompt tokens from the KV cache", [
                Bar(s.name, s.kv_cache_share or 0.0, pct(s.kv_cache_share)) for s in reuse], pct, css="b3", top=1.0))
    if results.backends:
        bs = results.backends
        charts.append(bar_chart("backends: median time to first token, later steps", [
            Bar(b.name, b.ttft_later_s or 0.0, secs(b.ttft_later_s)) for b in bs], secs, css="b2",
            note=f"from {results.backends_source}; first steps: " + ", ".join(
                f"{b.name} {secs(b.ttft_first_s)}" for b in bs)))
        charts.append(bar_chart("backends: median decode speed (tokens/s)", [
            Bar(b.name, b.tokens_per_s or 0.0, f"{b.tokens_per_s or 0:.1f}") for b in bs],
            lambda v: f"{v:.0f}", css="b1"))
        charts.append(bar_chart("backends: KV cache reuse", [
            Bar(b.name, b.cache_reuse_share or 0.0, pct(b.cache_reuse_share)) for b in bs], pct, css="b3", top=1.0))
    if results.viewer_pages:
        charts.append(bar_chart("viewer: a run page opened in headless Chromium (median, request to load)", [
            Bar(f"{r['steps']} steps", float(r.get("browser_load_median_s") or 0.0),
                f"{secs(r.get('browser_load_median_s'))} (server {secs(r.get('server_median_s'))})")
            for r in results.viewer_pages], secs, css="b2"))
    if results.parsers:
        charts.append(bar_chart("parsers: share of intended tool calls recovered", [
            Bar(f"{corpus.replace('_', ' ')} · {name}", share, pct(share))
            for corpus, shares in results.parsers.items() for name, share in shares.items()], pct, top=1.0))
    return charts


def benchmarks_page(results: BenchResults) -> dict[str, Any]:
    return {"results": results, "charts": benchmark_charts(results)}
