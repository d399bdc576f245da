"""More than one try at a fix, and the try with the strongest evidence kept (`smallcoder fix --tries N`).

A try is one conversation from the first prompt. When a try ends without a verified fix (its step limit,
stuck, too many format errors, a refused submit) and the run has tries and budget left, its worktree is
kept as a snapshot, the worktree goes back to its base (with the reproducing test, after a reproduce
phase) and the model starts over from the same first prompt (still in the KV cache), sampled hotter: a
small model's next sample is often right where the last was not, and the project's tests tell them apart.
The run ends with the best try's state:

    1. the full suite passes, having failed before: verified, and no further try is made
    2. otherwise the fewest failing tests (read from the runner's summary, workspace/test_counts.py)
    3. then the smaller change; a try that changed nothing ranks last, ties go to the earlier try

Budgets are the run's: the time limit and the token limit count over every try; the step limit counts
per try. Without a test command, or when the tests passed before the change, nothing could tell tries
apart, so a run makes one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smallcoder.agent.events import FreshAttempt, TestRun
from smallcoder.agent.loop import AgentOutcome
from smallcoder.workspace.attempts import changed_lines, restore_worktree, snapshot_worktree
from smallcoder.workspace.test_counts import failing_tests
from smallcoder.workspace.worktree import Worktree, reset_worktree

if TYPE_CHECKING:
    from smallcoder.agent.loop import Agent
    from smallcoder.agent.policy import FixPolicy

_BUDGET_SPENT = ("time limit of", "token limit of")  # run-wide limits (agent/loop.py): no try after them


@dataclass
class Try:
    """One ended try: how it stopped, its worktree state (None: nothing changed) and the suite on it."""

    number: int
    outcome: AgentOutcome
    snapshot: str | None
    test: TestRun | None
    failing: int | None  # failing tests on its state; None when the runner's summary was not recognised
    changed_lines: int

    @property
    def verified(self) -> bool:
        return self.snapshot is not None and self.test is not None and self.test.passed

    def rank(self) -> tuple[int, float, int]:
        """Sort key, best first (see the module docstring)."""
        if self.snapshot is None:
            return (2, math.inf, 0)
        if self.verified:
            return (0, 0, self.changed_lines)
        return (1, math.inf if self.failing is None else self.failing, self.changed_lines)

    def record(self, kept: bool) -> dict[str, Any]:
        """What the run record keeps of this try (`kept`: the run ended with its state)."""
        return {"try": self.number, "kept": kept, "stop": self.outcome.status, "reason": self.outcome.reason,
                "changed_lines": self.changed_lines, "tests_passed": self.test.passed if self.test else None,
                "failing_tests": self.failing, "steps": self.outcome.steps}


def end_try(number: int, outcome: AgentOutcome, agent: Agent, wt: Worktree, test_command: str | None) -> Try:
    """Snapshot the try's worktree and get its evidence: the full suite on it, unless the try's last run
    already was that (its edit made the tests pass)."""
    snapshot = snapshot_worktree(wt)  # one staging of the worktree serves both the state and its size
    changed = changed_lines(wt, snapshot)
    if changed is None:
        return Try(number, outcome, None, None, None, 0)
    test = agent.last_test
    current = (outcome.status == "submitted" and test is not None and test.passed
               and test.command == test_command)
    if test_command and not current:
        test = agent.run_tests("try")
    failing = failing_tests(test.output, test.passed) if test else None
    return Try(number, outcome, snapshot, test, failing, changed)


def should_try_again(last: Try, agent: Agent, policy: FixPolicy, tries_made: int, tries: int) -> bool:
    """Whether the run starts another try after `last` (see the module docstring)."""
    if tries_made >= tries or last.verified or not agent.ctx.test_command or not policy.tests_failed_before:
        return False
    if last.outcome.status in ("cancelled", "error") or last.outcome.reason.startswith(_BUDGET_SPENT):
        return False
    return not agent.out_of_budget()


def run_tries(agent: Agent, policy: FixPolicy, wt: Worktree, first: AgentOutcome, tries: int,
              test_command: str | None, start: Any,
              cut_short: list[dict[str, Any]] | None = None) -> tuple[AgentOutcome, list[dict[str, Any]]]:
    """After the first try's `first` outcome, more tries while allowed; the worktree is left in the best
    try's state and its outcome returned, with every try's record. `start()` runs one new try (a new
    conversation from the first prompt) and returns its outcome.

    Each try starts from what the policy's fresh attempts go back to (after a reproduce phase: the base plus
    the reproducing test). A try cut short (Ctrl-C, a model server error) is not one that ended: the best
    ended try's state is put back before the exception goes on, so the run keeps what was finished, and the
    ended tries' records go into `cut_short` for the run record."""
    if not (test_command and policy.tests_failed_before):
        return first, []  # nothing could tell tries apart: one try, no extra test run
    reset = policy.reset or (lambda: reset_worktree(wt))
    ended = [end_try(1, first, agent, wt, test_command)]
    try:
        while should_try_again(ended[-1], agent, policy, len(ended), tries):
            last, number = ended[-1], len(ended) + 1
            schedule = agent.config.retry_temperatures
            temperature = schedule[(number - 2) % len(schedule)]
            failing = "" if last.failing is None else f", {last.failing} failing test{'s' * (last.failing != 1)}"
            agent.emit(FreshAttempt(agent.run_id, agent.steps, number, temperature,
                                    f"try {number} of {tries}: try {last.number} ended "
                                    f"({last.outcome.reason}{failing})"))
            reset()
            agent.last_test = None
            agent.start_over(temperature)
            policy.start_over()
            ended.append(end_try(number, start(), agent, wt, test_command))
    except BaseException:  # KeyboardInterrupt included
        kept = min(ended, key=Try.rank)
        _bring_back(kept, agent, wt, reset)
        if cut_short is not None:
            cut_short.extend(t.record(kept=t is kept) for t in ended)
        raise
    best = min(ended, key=Try.rank)
    if best is not ended[-1]:
        _bring_back(best, agent, wt, reset)
    outcome = best.outcome
    if len(ended) > 1:
        outcome = AgentOutcome(outcome.status, f"{outcome.reason} (kept try {best.number} of {len(ended)})",
                               agent.steps, agent.model_calls, agent.usage, agent.last_test)
    return outcome, [t.record(kept=t is best) for t in ended]


def _bring_back(best: Try, agent: Agent, wt: Worktree, reset: Callable[[], None]) -> None:
    """The worktree in `best`'s state again, and its test run the agent's last."""
    if best.snapshot is None:
        reset()
    else:
        restore_worktree(wt, best.snapshot)
    agent.last_test = best.test
