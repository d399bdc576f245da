"""Shared fixtures: an isolated SMALLCODER_HOME per test and a synthetic run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smallcoder.agent.events import (
    Event,
    FormatProblem,
    FreshAttempt,
    ModelCalled,
    RunFinished,
    RunResult,
    RunStarted,
    TestRun,
    TestsRan,
    ToolExecuted,
)
from smallcoder.store import RunStore
from smallcoder.types import Completion, ToolCall, Usage

DIFF = """diff --git a/calc.py b/calc.py
--- a/calc.py
+++ b/calc.py
@@ -1,2 +1,2 @@
 def add(a, b):
-    return a - b
+    return a + b
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("SMALLCODER_HOME", str(path))
    return path


@pytest.fixture
def store(home: Path) -> Iterator[RunStore]:
    with RunStore() as s:
        yield s


def started(run_id: str, task: str = "Fix add()\n\nadd(2, 2) returns 0") -> RunStarted:
    return RunStarted(
        run_id=run_id, task=task, repo="/src/calc", worktree="/wt/calc", branch=f"smallcoder/{run_id}",
        base_commit="0123456789abcdef", model="qwen2.5-coder:1.5b", test_command="pytest -q", context_window=8192,
    )


def full_run(run_id: str) -> list[Event]:
    """A plausible two-step run: failing tests, read, edit, a format slip, passing tests, finish."""
    failing = TestRun("pytest -q", False, 1, "FAILED test_calc.py::test_add", 0.5)
    passing = TestRun("pytest -q", True, 0, "1 passed", 0.4)
    usage1, usage2 = Usage(900, 60, 0), Usage(1100, 80, 880)
    return [
        started(run_id),
        TestsRan(run_id, "before", 0, failing),
        ModelCalled(run_id, 1, Completion("I'll read calc.py", [ToolCall("read_file", {"path": "calc.py"}, "c1")],
                                          usage1, 1.5, "tool_calls")),
        ToolExecuted(run_id, 1, ToolCall("read_file", {"path": "calc.py"}, "c1"), "def add(a, b):\n    return a - b",
                     True, 0.01),
        FormatProblem(run_id, 2, "no tool call found; answer with one tool call"),
        FreshAttempt(run_id, 2, 2, 0.7, "repeated an earlier answer word for word"),
        ModelCalled(run_id, 2, Completion('<tool_call>{"name": "str_replace"}</tool_call>', [], usage2, 2.0)),
        ToolExecuted(run_id, 2, ToolCall("str_replace", {"path": "calc.py", "old": "a - b", "new": "a + b"}),
                     "edited calc.py", True, 0.02),
        TestsRan(run_id, "step", 2, passing),
        TestsRan(run_id, "after", 2, passing),
        RunFinished(
            run_id,
            RunResult(
                run_id=run_id, status="resolved", reason="tests pass", repo="/src/calc", worktree="/wt/calc",
                branch=f"smallcoder/{run_id}", base_commit="0123456789abcdef", commit="feedface", diff=DIFF,
                test_command="pytest -q", tests_before=failing, tests_after=passing, steps=2, model_calls=2,
                usage=usage1 + usage2, wall_s=12.5, model="qwen2.5-coder:1.5b",
            ),
            extra={"note": "synthetic"},
        ),
    ]


@pytest.fixture
def record_full_run(store: RunStore) -> Callable[[str | None], str]:
    def record(run_id: str | None = None) -> str:
        run_id = run_id or store.new_run_id()
        for event in full_run(run_id):
            store(event)  # used as an Observer
        return run_id

    return record


@pytest.fixture
def make_started() -> Callable[..., RunStarted]:
    """The RunStarted factory, for tests that build their own event sequences."""
    return started
