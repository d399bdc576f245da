"""What the agent reports while it works.

The loop emits these to observers (the run store, the terminal renderer,
the JSON printer). Observers never change the run; the loop never imports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Union

from smallcoder.agent.timing import StepTiming
from smallcoder.types import Completion, ToolCall, Usage
from smallcoder.workspace.deletions import Deletion


@dataclass
class TestRun:
    """One run of the project's tests."""

    command: str
    passed: bool
    exit_code: int | None
    output: str
    duration_s: float
    timed_out: bool = False


@dataclass
class Reproduction:
    """The reproduce-first phase: a test that shows the reported behaviour, failing before the fix."""

    status: str  # reproduced | not_reproduced | skipped
    reason: str
    test_files: list[str] = field(default_factory=list)
    tests_baseline: TestRun | None = None  # the suite before the reproducing test was added
    tests_failing: TestRun | None = None  # the suite with it, before the fix: it must fail
    steps: int = 0
    model_calls: int = 0

    @property
    def reproduced(self) -> bool:
        return self.status == "reproduced"


@dataclass
class RunResult:
    """A finished run. `status` is one of resolved | changed-unverified | unresolved | error | cancelled
    (session/outcome.py, docs/outcomes.md) and `reason` says why in one line; `stop_reason` is how the
    agent loop ended (submitted | limits_exceeded | stuck | format_errors | cancelled | error) and
    `stop_message` its own words (the model's submit summary, or the limit hit)."""

    run_id: str
    status: str
    reason: str
    repo: str
    worktree: str
    branch: str
    base_commit: str
    commit: str | None
    diff: str
    test_command: str | None
    tests_before: TestRun | None
    tests_after: TestRun | None
    steps: int
    model_calls: int
    usage: Usage
    wall_s: float
    model: str
    reproduction: Reproduction | None = None  # set when the run reproduced first (FixOptions.reproduce)
    stop_reason: str = ""
    stop_message: str = ""
    # Functions/classes the diff removes whole that the task does not mention (workspace/deletions.py).
    deletions: list[Deletion] = field(default_factory=list)

    @property
    def success(self) -> bool:
        """The change is verified: tests that failed before pass after."""
        return self.status == "resolved"

    @property
    def warnings(self) -> list[str]:
        """What the user must know before taking the change, one line each."""
        return [f"the change deletes {d.describe()}" for d in self.deletions]


@dataclass
class RunStarted:
    run_id: str
    task: str
    repo: str
    worktree: str
    branch: str
    base_commit: str
    model: str
    test_command: str | None
    context_window: int
    environment: str = ""  # the project's environment, one line (workspace/environment.py)


@dataclass
class TestsRan:
    run_id: str
    phase: str  # before | after | step
    step: int
    result: TestRun


@dataclass
class StepStarted:
    """A model request is about to be sent (it may take seconds on a laptop)."""

    run_id: str
    step: int
    prompt_tokens: int


@dataclass
class ModelCalled:
    run_id: str
    step: int
    completion: Completion


@dataclass
class StepTimed:
    """A step ended (whatever ended it): where its wall time went (agent/timing.py)."""

    run_id: str
    step: int
    timing: StepTiming


@dataclass
class ToolExecuted:
    run_id: str
    step: int
    call: ToolCall
    observation: str
    ok: bool
    duration_s: float


@dataclass
class FormatProblem:
    """The model's output held no usable tool call; `message` is what the model was told."""

    run_id: str
    step: int
    message: str


@dataclass
class FreshAttempt:
    """The model repeated an earlier answer word for word, so the run started over from the first
    prompt (worktree reset to its base) with a hotter sampling temperature."""

    run_id: str
    step: int
    attempt: int  # the attempt starting now: 2, 3, ...
    temperature: float
    reason: str


@dataclass
class RunFinished:
    run_id: str
    result: RunResult
    extra: dict[str, Any] = field(default_factory=dict)


Event = Union[RunStarted, TestsRan, StepStarted, ModelCalled, ToolExecuted, FormatProblem, FreshAttempt,
              StepTimed, RunFinished]
Observer = Callable[[Event], None]
