"""Synthetic runs for the viewer's tests and its benchmark: every kind of record, any number of steps.

Recorded through the real RunStore (so masking and running totals are the store's own), with
figures shaped like a Qwen2.5-Coder run on llama.cpp: a growing prompt mostly served from the KV
cache, a compaction when the window fills, one fresh attempt, format problems, test runs.
"""

from __future__ import annotations

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
SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # a GitHub token shape the store masks


def synthetic_events(run_id: str, steps: int = 6, *, model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                     task: str = "Fix add()\n\nadd(2, 2) returns 0", resolved: bool = True,
                     compact_at: int | None = None, fresh_at: int | None = None) -> list[Event]:
    """A run of `steps` steps; step `compact_at` has a shrunken prompt, `fresh_at` starts over."""
    failing = TestRun("pytest -q", False, 1, "FAILED test_calc.py::test_add - assert 0 == 4", 0.5)
    passing = TestRun("pytest -q", True, 0, "1 passed in 0.01s", 0.4)
    events: list[Event] = [
        RunStarted(run_id, task, "/src/calc", f"/wt/{run_id}", f"smallcoder/{run_id}", "0123456789abcdef", model,
                   "pytest -q", 8192),
        TestsRan(run_id, "before", 0, failing),
    ]
    total = Usage()
    prompt = 1500
    for step in range(1, steps + 1):
        if compact_at == step:
            prompt = 1800  # the history was summarised
        usage = Usage(prompt, 40 + step % 7, max(0, prompt - 300))
        total = total + usage
        if step % 5 == 3:
            text = "I think the bug is in add(). Let me look at it again."
            events.append(ModelCalled(run_id, step, Completion(text, [], usage, 1.2, "stop", ttft_s=0.3)))
            events.append(FormatProblem(run_id, step, "no tool call found; answer with one tool call"))
        else:
            edit = step % 2 == 0
            call = ToolCall("replace_in_file", {"path": "calc.py", "old": "a - b", "new": "a + b"}) if edit \
                else ToolCall("read_file", {"path": "calc.py"})
            text = f'<tool_call>\n{{"name": "{call.name}", "arguments": {call.arguments}}}\n</tool_call>'
            if step == 2:
                text += f"\nexport GITHUB_TOKEN={SECRET}"
            events.append(ModelCalled(run_id, step, Completion(text, [], usage, 2.0 + step % 3, "stop",
                                                               ttft_s=0.4 + step % 2, tokens_per_s=24.0)))
            if edit:  # as in agent/loop.py: the tests run inside the edit's call, recorded before it
                events.append(TestsRan(run_id, "step", step, failing))
            observation = "edited calc.py\n\n" + failing.output if edit else "def add(a, b):\n    return a - b\n"
            events.append(ToolExecuted(run_id, step, call, observation, step % 4 != 0,
                                       0.02 + (failing.duration_s if edit else 0.0)))
        if fresh_at == step:
            events.append(FreshAttempt(run_id, step, 2, 0.7, "repeated an earlier answer word for word"))
            prompt = 1500
        else:
            prompt += 350
    after = passing if resolved else failing
    events.append(TestsRan(run_id, "after", steps, after))
    events.append(RunFinished(run_id, RunResult(
        run_id=run_id, status="resolved" if resolved else "unresolved", reason="tests pass" if resolved else "tests fail",
        repo="/src/calc", worktree=f"/wt/{run_id}", branch=f"smallcoder/{run_id}", base_commit="0123456789abcdef",
        commit="feedface" if resolved else None, diff=DIFF if resolved else "", test_command="pytest -q",
        tests_before=failing, tests_after=after, steps=steps, model_calls=steps, usage=total, wall_s=3.0 * steps,
        model=model,
    ), extra={"isolation": {"kind": "bwrap", "sandboxed": True, "network": False, "reason": "bubblewrap works here"},
              "runtime": "llama.cpp-server", "endpoint": "http://127.0.0.1:8080",
              "stop_reason": "submitted" if resolved else "limits_exceeded"}))
    return events


def record_synthetic(store: RunStore, steps: int = 6, **kwargs: object) -> str:
    """Record one synthetic run; returns its id."""
    run_id = store.new_run_id()
    for event in synthetic_events(run_id, steps, **kwargs):  # type: ignore[arg-type]
        store(event)
    return run_id
