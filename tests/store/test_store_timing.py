"""Step timings: recorded, summed per run by store/timing.py, and shown by `runs show`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from smallcoder.agent import events
from smallcoder.agent.events import ModelCalled, RunStarted, StepTimed
from smallcoder.agent.timing import StepTiming
from smallcoder.cli.runs import runs_app
from smallcoder.store import RunStore
from smallcoder.store.timing import PARTS, shares, time_split
from smallcoder.types import Completion, Usage

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def record_timed_run(store: RunStore, make_started: Callable[..., RunStarted]) -> str:
    run_id = store.new_run_id()
    store(make_started(run_id))
    store(events.TestsRan(run_id, "before", 0, events.TestRun("pytest -q", False, 1, "FAILED", 2.0)))
    store(ModelCalled(run_id, 1, Completion("<tool_call>…</tool_call>", usage=Usage(900, 40), latency_s=9.0,
                                            prompt_s=6.0, generation_s=3.0, cut="tool_call")))
    store(StepTimed(run_id, 1, StepTiming(10.0, 6.0, 3.0, 0.2, 0.5, 0.3, 1)))
    store(StepTimed(run_id, 2, StepTiming(4.0, 1.0, 2.5, 0.0, 0.0, 0.5, 1)))
    store(events.TestsRan(run_id, "after", 2, events.TestRun("pytest -q", True, 0, "1 passed", 1.5)))
    return run_id


def test_steps_and_total_add_up_to_the_wall(store: RunStore, make_started: Callable[..., RunStarted]) -> None:
    run_id = record_timed_run(store, make_started)
    detail = store.get_run(run_id)
    assert detail["model_calls"][0]["prompt_s"] == 6.0 and detail["model_calls"][0]["cut"] == "tool_call"
    split = time_split(detail)
    assert [s["step"] for s in split["steps"]] == [1, 2]
    assert split["steps"][0] == {"step": 1, "wall_s": 10.0, "prompt_s": 6.0, "generation_s": 3.0, "tools_s": 0.2,
                                 "tests_s": 0.5, "overhead_s": 0.3}
    total = split["total"]
    # an unfinished run has no wall time of its own: its steps plus the tests around them
    assert total["wall_s"] == 17.5 and total["outside_steps_s"] == 3.5
    assert total["tests_s"] == 0.5 + 2.0 + 1.5 and total["prompt_s"] == 7.0 and total["generation_s"] == 5.5
    assert round(sum(total[p] for p in PARTS), 3) == total["wall_s"]
    assert shares(total)["prompt_s"] == round(7.0 / 17.5, 3)


def test_time_outside_steps_is_overhead_when_the_run_is_longer(record_full_run: Callable[..., str],
                                                               store: RunStore) -> None:
    run_id = record_full_run()  # a finished run with a wall of 12.5 s and no step timings (an older record)
    total = time_split(store.get_run(run_id))["total"]
    assert total["wall_s"] == 12.5 and total["tests_s"] == 0.5 + 0.4
    assert total["overhead_s"] == round(12.5 - 0.9, 3) and total["prompt_s"] == 0.0
    store(StepTimed(run_id, 1, StepTiming(5.0, 4.0, 1.0, 0.0, 0.0, 0.0)))
    total = time_split(store.get_run(run_id))["total"]
    assert total["prompt_s"] == 4.0 and total["overhead_s"] == round(12.5 - 5.0 - 0.9, 3)


def test_runs_show_prints_the_split(home: Path, store: RunStore, make_started: Callable[..., RunStarted]) -> None:
    run_id = record_timed_run(store, make_started)
    result = CliRunner().invoke(runs_app, ["show", run_id], env=ENV)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "time went to" in out and "prompt 7.0s (40%)" in out
    assert "time 10.0s: prompt 6.0s (60%) · generation 3.0s (30%)" in out
    assert "cut: tool_call" in out
    shown = json.loads(CliRunner().invoke(runs_app, ["show", run_id, "--json"], env=ENV).stdout)
    assert shown["time_split"]["total"]["tests_s"] == 4.0 and len(shown["step_timings"]) == 2


def test_a_tries_and_a_reproductions_verdict_runs_count_as_tests_not_overhead(
        store: RunStore, make_started: Callable[..., RunStarted]) -> None:
    run_id = record_timed_run(store, make_started)
    store(events.TestsRan(run_id, "try", 2, events.TestRun("pytest -q", False, 1, "1 failed", 3.0)))
    store(events.TestsRan(run_id, "reproduce", 0, events.TestRun("pytest -q", False, 1, "1 failed", 0.7)))
    store(events.TestsRan(run_id, "step", 1, events.TestRun("pytest -q", False, 1, "1 failed", 0.5)))  # in a step
    total = time_split(store.get_run(run_id))["total"]
    assert total["tests_s"] == 0.5 + 2.0 + 1.5 + 3.0 + 0.7
    assert round(sum(total[p] for p in PARTS), 3) == total["wall_s"]
