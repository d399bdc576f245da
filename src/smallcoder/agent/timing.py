"""Where one step's wall time went: prompt evaluation, generation, tools, tests, and the rest.

A step runs from the agent deciding to query the model to the last observation of
that reply being in the history. Its parts, all in seconds:

    prompt_s      the model evaluating the prompt (the runtime's own timer, else time to first token)
    generation_s  the model writing the reply (the runtime's own timer, else the stream after the first token)
    tools_s       tool calls, without the test runs they start
    tests_s       test runs started in the step (after an edit, before a submit is accepted)
    overhead_s    the rest: counting tokens, parsing, transport, our bookkeeping — never negative

The parts add up to `wall_s` (overhead takes what the others leave; when a runtime's timers
and our clock disagree by a little, overhead is clamped at zero and the sum can exceed wall_s
by that little).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from smallcoder.types import Completion


@dataclass(frozen=True)
class StepTiming:
    """One step's wall time and its split, in seconds (see the module docstring)."""

    wall_s: float
    prompt_s: float
    generation_s: float
    tools_s: float
    tests_s: float
    overhead_s: float
    model_calls: int = 0


class StepClock:
    """Collects what one step spent; `finish` turns it into a StepTiming. The loop feeds it."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.prompt_s = self.generation_s = self.tools_s = self.tests_s = 0.0
        self.model_calls = 0

    def model(self, completion: Completion) -> None:
        """A model call ended: its prompt/generation split, or its whole latency as generation when the
        backend could not split it (an unstreamed answer)."""
        self.model_calls += 1
        if completion.prompt_s is None and completion.generation_s is None:
            self.generation_s += completion.latency_s
            return
        self.prompt_s += completion.prompt_s or 0.0
        self.generation_s += completion.generation_s or 0.0

    def tool(self, duration_s: float) -> None:
        """A tool call ran for `duration_s`, test runs it started included (they are taken out in finish)."""
        self.tools_s += duration_s

    def test(self, duration_s: float) -> None:
        self.tests_s += duration_s

    def finish(self) -> StepTiming:
        wall = time.perf_counter() - self.started
        tools = max(0.0, self.tools_s - self.tests_s)  # tests run inside a tool call (after an edit, on submit)
        overhead = max(0.0, wall - self.prompt_s - self.generation_s - tools - self.tests_s)
        return StepTiming(round(wall, 4), round(self.prompt_s, 4), round(self.generation_s, 4), round(tools, 4),
                          round(self.tests_s, 4), round(overhead, 4), self.model_calls)
