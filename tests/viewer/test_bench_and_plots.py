"""Benchmark result files → figures, and the chart geometry drawn from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smallcoder.viewer.bench_results import load_results
from smallcoder.viewer.format import diff_stats, secs
from smallcoder.viewer.pages import benchmark_charts
from smallcoder.viewer.plots import Bar, bar_chart, nice_ceiling, stacked_columns
from tests.viewer.conftest import RESULTS


def test_reads_the_repository_results() -> None:
    found = load_results(RESULTS)
    if not (RESULTS / "humanevalfix-qwen2.5-coder-1.5b.json").is_file():
        pytest.skip("benchmarks/results has no HumanEvalFix summary in this checkout")
    main = next(s for s in found.task_sets if s.name == "qwen2.5-coder-1.5b")
    raw = json.loads((RESULTS / "humanevalfix-qwen2.5-coder-1.5b.json").read_text())
    assert (main.resolved, main.tasks, main.resolve_rate) == (raw["resolved"], raw["tasks"], raw["resolve_rate"])
    expected = (raw["mean_prompt_tokens"] + raw["mean_completion_tokens"]) * raw["tasks"] / raw["resolved"]
    assert main.tokens_per_resolved == pytest.approx(expected)
    assert main.seconds_per_step == pytest.approx(raw["total_wall_s"] / (raw["mean_steps"] * raw["tasks"]))
    assert main.kv_cache_share == raw["kv_cache_share"]
    titles = [c.title for c in benchmark_charts(found)]
    assert titles[:4] == ["resolve rate", "tokens per resolved task (prompt + completion)", "wall time per step",
                          "share of prompt tokens from the KV cache"]


def test_the_viewers_own_benchmark_is_plotted(tmp_path: Path) -> None:
    (tmp_path / "viewer.json").write_text(json.dumps({"benchmark": "viewer-run-page", "runs": [
        {"steps": 50, "browser_load_median_s": 0.2, "server_median_s": 0.05},
        {"steps": 500, "browser_load_median_s": 0.5, "server_median_s": 0.25}]}))
    [chart] = benchmark_charts(load_results(tmp_path))
    assert chart.title.startswith("viewer: a run page")
    assert [lb.text for lb in chart.labels] == ["50 steps", "200ms (server 50ms)", "500 steps", "500ms (server 250ms)"]


def test_batch_reports_bad_files_and_unknown_shapes(tmp_path: Path) -> None:
    (tmp_path / "batch-nightly.json").write_text(json.dumps(
        {"model": "m", "tasks": [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}], "resolved": 1}))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps({"figures": [1, 2]}))
    (tmp_path / "list.json").write_text("[1, 2]")
    found = load_results(tmp_path)
    [batch] = found.task_sets
    assert (batch.name, batch.tasks, batch.resolved, batch.resolve_rate) == ("batch-nightly", 4, 1, 0.25)
    assert batch.tokens_per_resolved is None and batch.seconds_per_step is None
    assert {name for name, _ in found.skipped} == {"broken.json", "other.json", "list.json"}
    assert [c.title for c in benchmark_charts(found)] == ["resolve rate"]


def test_missing_directory_is_empty() -> None:
    assert load_results(None).empty and load_results(Path("/nonexistent")).empty


def test_nice_axis_tops() -> None:
    assert [nice_ceiling(v) for v in (0, 0.7, 1.0, 1.3, 3.1, 4.0, 7.2, 9.9, 23)] == [1, 0.8, 1, 2, 4, 4, 8, 10, 40]


def test_bar_chart_scales_to_the_largest_value() -> None:
    chart = bar_chart("t", [Bar("a", 2.0, "2"), Bar("b", 4.0, "4")], str)
    a, b = chart.rects
    assert b.w == pytest.approx(2 * a.w) and b.w == pytest.approx(380.0)  # 4 is its own nice top
    shares = bar_chart("s", [Bar("x", 0.5, "50%")], str, top=1.0)
    assert shares.rects[0].w == pytest.approx(190.0)


def test_stacked_columns_stack_and_carry_hover_text() -> None:
    chart = stacked_columns("time", [("c1", "first", [1.0, 2.0]), ("c2", "second", [1.0, 0.0])], ["1", "2"],
                            secs, "seconds")
    paths = dict(chart.paths)
    # Plot area x 56..952 (two 448-wide slots, columns 80% of that), y 10..158 (148 high), axis top 2 s;
    # step 1 is 1 s + 1 s, step 2 is 2 s + nothing.
    assert paths["c1"] == "M56.0 84.0h358.4v74.0h-358.4zM504.0 10.0h358.4v148.0h-358.4z"
    assert paths["c2"] == "M56.0 10.0h358.4v74.0h-358.4z"  # on top of step 1's first segment; none for step 2
    hits = chart.rects
    assert hits[0].tip == "step 1: first 1.0s, second 1.0s (seconds)"
    assert chart.legend == [("c1", "first"), ("c2", "second")]


def test_five_hundred_steps_make_one_small_chart() -> None:
    chart = stacked_columns("t", [("c", "x", [1.0] * 500)], [str(i) for i in range(500)], secs, "s")
    assert chart.rects == [] and len(chart.paths) == 1 and len(chart.labels) <= 13  # no hover text past 200
    assert chart.paths[0][1].count("M") == 500 and "h1.4v" in chart.paths[0][1]  # 896/500*0.8 wide columns
    assert "timeline" in chart.note


def test_diff_stats() -> None:
    from tests.viewer.synthetic import DIFF
    assert diff_stats(DIFF) == (1, 1, 1) and diff_stats("") == (0, 0, 0)


def test_batch_output_directories(tmp_path: Path) -> None:
    """A batch written by the batch runner's own writer: one task set per model, environment errors apart."""
    from smallcoder.session.batch_records import BatchOutput

    out = tmp_path / "results" / "nightly"
    output = BatchOutput(out)
    output.start({"tasks": "swe.jsonl"}, resume=False)
    rows = [("small", "a", "resolved", 1000, 40, 5, 10.0), ("small", "b", "unresolved", 3000, 60, 3, 6.0),
            ("small", "c", "env_error", 0, 0, 0, 1.0), ("big", "a", "resolved", 800, 20, 2, 8.0)]
    for model, iid, outcome, prompt, cached, steps, wall in rows:
        output.write({"model": model, "instance_id": iid, "model_name_or_path": model, "model_patch": "",
                      "outcome": outcome, "prompt_tokens": prompt, "completion_tokens": 100, "cached_tokens": cached,
                      "steps": steps, "model_calls": steps, "wall_s": wall})
    found = load_results(tmp_path / "results")  # found as a subdirectory holding batch.json
    by_name = {s.name: s for s in found.task_sets}
    small = by_name["nightly · small"]
    assert (small.tasks, small.resolved, small.resolve_rate) == (2, 1, 0.5)  # the env error is not judged
    assert small.tokens_per_resolved == pytest.approx((1100 + 3100) / 1)
    assert small.seconds_per_step == pytest.approx(16.0 / 8)
    assert small.kv_cache_share == pytest.approx(100 / 4000)
    assert by_name["nightly · big"].resolve_rate == 1.0
    assert load_results(None, [out]).task_sets == found.task_sets  # named with --batch
