"""A run's outcome: one status word with one meaning, kept apart from why the agent stopped.

status (what the user, a CI job or a batch report acts on; docs/outcomes.md):
    resolved            tests that failed before pass after (with a reproduce-first run: the reproducing
                        test failed before and the whole suite, it included, passes after)
    changed-unverified  there is a change, but nothing could verify it: no test command, tests that passed
                        before the change as well (they do not show the problem), or tests that never ran
    unresolved          no verified fix: the tests still fail, no change was made, or the agent stopped on a
                        limit, because it was stuck, or after too many replies without a usable tool call
    error               our failure or the model server's; the reason names it
    cancelled           the user stopped the run

stop reason (why the agent loop ended): submitted, limits_exceeded, stuck, format_errors, empty_replies,
cancelled, error.
A run can be resolved after a limit stopped it (the last edit made the failing tests pass), and
unresolved after the model submitted.
"""

from __future__ import annotations

from dataclasses import dataclass

from smallcoder.agent.events import Reproduction, RunResult, TestRun

RESOLVED = "resolved"
CHANGED_UNVERIFIED = "changed-unverified"
UNRESOLVED = "unresolved"
ERROR = "error"
CANCELLED = "cancelled"
STATUSES = (RESOLVED, CHANGED_UNVERIFIED, UNRESOLVED, ERROR, CANCELLED)

STOP_REASONS = ("submitted", "limits_exceeded", "stuck", "format_errors", "empty_replies", "cancelled", "error")
# The loop's "stopped without the model finishing" ends; no change left behind by one of these is trusted
# unless the tests verify it.
_GAVE_UP = frozenset({"limits_exceeded", "stuck", "format_errors", "empty_replies"})


@dataclass(frozen=True)
class Verdict:
    """The status and a one-line reason a person can read ("the tests still fail after the change")."""

    status: str
    reason: str


def stop_reason(agent_status: str, message: str) -> str:
    """The loop's end as a stop-reason word: the interrupt's own `reason` (errors.py), which says
    stuck and empty replies apart from other limits and format errors."""
    return agent_status


def judge(stop: str, stop_message: str, *, changed: bool, test_command: str | None,
          tests_before: TestRun | None, tests_after: TestRun | None,
          reproduction: Reproduction | None = None) -> Verdict:
    """The run's status from how the loop stopped (`stop`, a STOP_REASONS word, and its message), whether the
    diff is non-empty, and the test runs before and after the change.

    tests_before is the suite before the fix (for a reproduce-first run: with the reproducing test, which
    must fail); tests_after is the suite on the final change, or None when it did not run.
    """
    if stop == "cancelled":
        return Verdict(CANCELLED, stop_message or "stopped by the user")
    if stop == "error":
        return Verdict(ERROR, stop_message or "the run failed")
    gave_up = f"{stop_message}" if stop in _GAVE_UP else ""
    if not changed:
        return Verdict(UNRESOLVED, gave_up or "no change was made")
    if test_command and tests_after is not None and not tests_after.passed:
        still = "the tests timed out after the change" if tests_after.timed_out else "the tests still fail after the change"
        return Verdict(UNRESOLVED, f"{gave_up}; {still}" if gave_up else still)
    failed_before = tests_before is not None and not tests_before.passed
    if test_command and tests_after is not None and tests_after.passed and failed_before:
        if reproduction is not None and reproduction.reproduced:
            return Verdict(RESOLVED, "the reproducing test failed before the change and passes after it, "
                                     "with the rest of the tests")
        return Verdict(RESOLVED, "the tests that failed before the change pass after it")
    if gave_up:  # a change nothing verified, left behind by a run that did not finish: not a result
        return Verdict(UNRESOLVED, f"{gave_up}; the change it left is not verified")
    if not test_command:
        return Verdict(CHANGED_UNVERIFIED, "no test command: nothing verified the change (pass --test-cmd)")
    if tests_after is None:
        return Verdict(CHANGED_UNVERIFIED, "the tests did not run on the change")
    if tests_before is None:
        return Verdict(CHANGED_UNVERIFIED, "the tests did not run before the change, so they do not show "
                                           "the problem fixed")
    return Verdict(CHANGED_UNVERIFIED, "the tests passed before the change as well, so they do not show "
                                       "the problem fixed (--reproduce writes a test that does)")


def outcome_record(result: RunResult) -> dict[str, object]:
    """What the run store keeps of an outcome beyond its status and reason columns (in the run's `extra`):
    the stop reason and the deletions."""
    return {"stop_reason": result.stop_reason, "deletions": [d.to_json() for d in result.deletions]}
