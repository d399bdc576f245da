"""The per-step timeline built from a recorded run: grouping, timing split, inferred compaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from smallcoder.store.read import RunReader
from smallcoder.viewer.timeline import build_timeline


def test_steps_group_every_record_in_order(db: Path, runs: dict[str, str]) -> None:
    with RunReader(db) as r:
        t = build_timeline(r.detail(runs["a"]))
    assert [s.number for s in t.steps] == [1, 2, 3, 4, 5, 6]
    assert [x["phase"] for x in t.tests_before] == ["before"] and [x["phase"] for x in t.tests_after] == ["after"]
    step2 = t.steps[1]
    assert [i.kind for i in step2.items] == ["model", "test", "tool"]  # as the loop records an edit
    assert step2.calls()[0]["tool"] == "replace_in_file" and step2.tests_passed is False
    assert [i.kind for i in t.steps[2].items] == ["model", "format"] and t.steps[2].calls() == []


def test_time_split_into_first_token_decode_tools_and_tests(db: Path, runs: dict[str, str]) -> None:
    with RunReader(db) as r:
        t = build_timeline(r.detail(runs["a"]))
    s1 = t.steps[0]  # latency 3.0 s, first token after 1.4 s, one 20 ms tool call
    assert s1.model_s == pytest.approx(3.0) and s1.ttft_s == pytest.approx(1.4)
    assert s1.decode_s == pytest.approx(1.6) and s1.tool_s == pytest.approx(0.02) and s1.test_s == 0
    assert s1.tokens_per_s == 24.0 and s1.total_s == pytest.approx(3.02)
    s2 = t.steps[1]  # an edit: its 0.52 s call held the 0.5 s test run
    assert s2.test_s == pytest.approx(0.5) and s2.tool_s == pytest.approx(0.02)
    totals = t.totals()
    assert totals["steps"] == 6 and totals["format_problems"] == 1 and totals["tool_calls"] == 5
    assert totals["failed_tool_calls"] == 1  # step 4's call failed
    assert totals["prompt_tokens"] == sum(s.prompt_tokens for s in t.steps)
    assert totals["ttft_median_s"] is not None and totals["decode_s"] == pytest.approx(
        sum(s.decode_s or 0 for s in t.steps))


def test_tokens_per_step_and_cache_share(db: Path, runs: dict[str, str]) -> None:
    with RunReader(db) as r:
        t = build_timeline(r.detail(runs["a"]))
    s1 = t.steps[0]
    assert (s1.prompt_tokens, s1.cached_tokens, s1.uncached_tokens) == (1500, 1200, 300)
    assert s1.cache_share == pytest.approx(0.8)


def test_a_shrinking_prompt_is_marked_as_compaction(db: Path, runs: dict[str, str]) -> None:
    with RunReader(db) as r:
        t = build_timeline(r.detail(runs["a"]))
    assert [s.number for s in t.steps if s.compacted] == [5]  # 2900 tokens → 1800
    assert t.totals()["compactions"] == 1


def test_a_fresh_attempt_is_not_taken_for_compaction(db: Path, runs: dict[str, str]) -> None:
    with RunReader(db) as r:
        t = build_timeline(r.detail(runs["b"]))  # starts over after step 2: step 3's prompt is short again
    assert "fresh" in t.steps[1].kinds
    assert t.steps[2].prompt_tokens < t.steps[1].prompt_tokens
    assert not any(s.compacted for s in t.steps) and t.totals()["fresh_attempts"] == 1


def test_an_empty_run_has_no_steps() -> None:
    t = build_timeline({"run": {}, "model_calls": [], "tool_executions": [], "test_runs": [],
                        "format_problems": [], "fresh_attempts": []})
    assert t.steps == [] and t.max_step_s == 0.0 and t.totals()["ttft_median_s"] is None
