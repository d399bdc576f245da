"""Every step's wall time split into prompt, generation, tools, tests and overhead (agent/timing.py)."""

import pytest

from smallcoder.agent import events as ev
from smallcoder.agent.events import StepTimed, ToolExecuted
from smallcoder.agent.timing import StepClock
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.store.runs import RunStore
from smallcoder.store.timing import PARTS, time_split
from smallcoder.types import Completion

from .scripts import FIX_MEAN, hermes


def test_clock_takes_tests_out_of_the_tool_that_ran_them():
    clock = StepClock()
    clock.model(Completion("x", latency_s=5.0, prompt_s=3.0, generation_s=1.5))
    clock.model(Completion("y", latency_s=2.0))  # not split by its backend: all of it is generation
    clock.tool(4.0)
    clock.test(3.5)
    t = clock.finish()
    assert (t.prompt_s, t.generation_s, t.tools_s, t.tests_s, t.model_calls) == (3.0, 3.5, 0.5, 3.5, 2)
    assert t.overhead_s >= 0.0  # what the wall leaves; never negative, even when timers disagree


def test_a_fix_run_reports_each_step_and_the_store_sums_them(example_repo):
    read = hermes("read_file", path="stats.py")
    backend = ScriptedBackend(outputs=[read, FIX_MEAN])
    events = []
    with RunStore() as store:
        result = run_fix("mean() is wrong for [2, 4, 6]", example_repo, backend, FixOptions(), [store, events.append])
        detail = store.get_run(result.run_id)
    assert result.status == "resolved"
    timed = [e for e in events if isinstance(e, StepTimed)]
    assert [e.step for e in timed] == [1, 2]  # the step that ended the run by passing tests reports too
    step_tests = [e.result.duration_s for e in events if isinstance(e, ev.TestsRan) and e.phase == "step"]
    assert timed[1].timing.tests_s == pytest.approx(sum(step_tests), abs=1e-3)
    assert timed[0].timing.tests_s == 0.0
    tools = [e.duration_s for e in events if isinstance(e, ToolExecuted)]
    assert timed[1].timing.tools_s == pytest.approx(max(0.0, tools[1] - sum(step_tests)), abs=1e-3)
    for e in timed:
        t = e.timing
        assert t.prompt_s + t.generation_s + t.tools_s + t.tests_s + t.overhead_s == pytest.approx(t.wall_s, abs=2e-3)
    split = time_split(detail)
    assert len(split["steps"]) == 2 and split["total"]["wall_s"] == pytest.approx(result.wall_s, abs=1e-3)
    outside = sum(t["duration_s"] for t in detail["test_runs"] if t["phase"] in ("before", "after"))
    assert split["total"]["tests_s"] == pytest.approx(sum(step_tests) + outside, abs=2e-3)
    assert sum(split["total"][p] for p in PARTS) == pytest.approx(split["total"]["wall_s"], abs=5e-3)
