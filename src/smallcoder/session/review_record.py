"""A review as a recorded run: the same events a fix run sends, so the run store, `smallcoder runs
list/show` and the viewer see reviews beside fixes.

    rec = ReviewRecorder(backend, repo, "review HEAD", observers)   # emits RunStarted
    completion = rec.call([Message("user", prompt)], max_tokens=512) # emits StepStarted, ModelCalled, StepTimed
    rec.finish("reviewed", summary, diff_text, extra={...})          # emits RunFinished

Status words: `reviewed` (the review ran; its findings are in extra["findings"]), `error` and
`cancelled` as for any run (docs/outcomes.md).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smallcoder.agent.events import ModelCalled, Observer, RunFinished, RunResult, RunStarted, StepStarted, StepTimed
from smallcoder.agent.timing import StepClock
from smallcoder.backends.base import Backend
from smallcoder.store.ids import new_run_id
from smallcoder.types import Completion, Message, Usage


class ReviewRecorder:
    """Sends one review's events to `observers` (the session's store among them) under one run id.

    Model calls made outside the agent loop go through `call`; agent turns share `run_id` and
    `observers`, and their steps are numbered after the calls already made (`next_step`)."""

    def __init__(self, backend: Backend, repo: Path, task: str, observers: Sequence[Observer]) -> None:
        self.backend, self.repo, self.task = backend, repo, task
        self.observers = list(observers)
        self.run_id = new_run_id()
        self.steps = 0
        self.model_calls = 0
        self.usage = Usage()
        self.started = time.perf_counter()
        self.emit(RunStarted(self.run_id, task, str(repo), "", "", "", backend.name, None, backend.context_window))

    def emit(self, event: object) -> None:
        for observer in self.observers:
            observer(event)  # type: ignore[arg-type]

    def call(self, messages: list[Message], *, max_tokens: int, temperature: float = 0.0) -> Completion:
        """One model call without tools, recorded as its own step with its timing, as the agent loop
        records its steps: `runs show` splits the run's time into prompt and generation from these."""
        self.steps += 1
        clock = StepClock()
        self.emit(StepStarted(self.run_id, self.steps, self.backend.count_tokens(messages, [])))
        completion = self.backend.complete(messages, [], max_tokens=max_tokens, temperature=temperature)
        self.add(completion.usage, calls=1)
        self.emit(ModelCalled(self.run_id, self.steps, completion))
        clock.model(completion)
        self.emit(StepTimed(self.run_id, self.steps, clock.finish()))
        return completion

    def add(self, usage: Usage, *, calls: int, steps: int = 0) -> None:
        """Count calls made elsewhere (an agent turn) into the run's totals."""
        self.usage = self.usage + usage
        self.model_calls += calls
        self.steps += steps

    def finish(self, status: str, reason: str, diff_text: str, extra: dict[str, Any]) -> None:
        """The run's outcome: `status` (reviewed | error | cancelled), a one-line reason, the reviewed
        diff, and what the review found (extra: kind, findings, dropped, …)."""
        result = RunResult(
            run_id=self.run_id, status=status, reason=reason, repo=str(self.repo), worktree="", branch="",
            base_commit="", commit=None, diff=diff_text, test_command=None, tests_before=None, tests_after=None,
            steps=self.steps, model_calls=self.model_calls, usage=self.usage,
            wall_s=time.perf_counter() - self.started, model=self.backend.name, stop_reason=status,
            stop_message=reason)
        self.emit(RunFinished(self.run_id, result, extra={"kind": "review", **self.backend.run_record, **extra}))
