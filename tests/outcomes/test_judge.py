"""session/outcome.py: each status, with the reason a person reads, and the stop reason kept apart."""

import pytest

from smallcoder.agent.events import Reproduction
from smallcoder.agent.events import TestRun as Suite  # not collected by pytest
from smallcoder.session.outcome import STATUSES, judge, stop_reason


def suite(passed: bool, *, timed_out: bool = False) -> Suite:
    return Suite("pytest -q", passed, 0 if passed else 1, "", 0.1, timed_out)


FAIL, PASS = suite(False), suite(True)


@pytest.mark.parametrize("stop, changed, command, before, after, status, words", [
    ("submitted", True, "pytest -q", FAIL, PASS, "resolved", "failed before the change pass after"),
    ("limits_exceeded", True, "pytest -q", FAIL, PASS, "resolved", "failed before"),  # the last edit fixed it
    ("submitted", True, "pytest -q", FAIL, FAIL, "unresolved", "still fail"),
    ("submitted", True, "pytest -q", FAIL, suite(False, timed_out=True), "unresolved", "timed out"),
    ("submitted", False, "pytest -q", FAIL, None, "unresolved", "no change was made"),
    ("submitted", True, None, None, None, "changed-unverified", "no test command"),
    ("submitted", True, "pytest -q", PASS, PASS, "changed-unverified", "passed before the change as well"),
    ("submitted", True, "pytest -q", FAIL, None, "changed-unverified", "did not run on the change"),
    ("submitted", True, "pytest -q", None, PASS, "changed-unverified", "did not run before"),
    # the case: stuck, no tests, a diff left behind by the model's commands
    ("stuck", True, None, None, None, "unresolved", "stuck: the model keeps repeating"),
    ("format_errors", True, None, None, None, "unresolved", "replies in a row"),
    ("limits_exceeded", False, "pytest -q", FAIL, None, "unresolved", "step limit"),
    ("limits_exceeded", True, "pytest -q", FAIL, FAIL, "unresolved", "step limit of 3 reached; the tests still fail"),
    ("error", True, "pytest -q", FAIL, PASS, "error", "BackendError"),
    ("cancelled", True, "pytest -q", FAIL, PASS, "cancelled", "interrupted"),
])
def test_each_status(stop, changed, command, before, after, status, words):
    message = {"stuck": "stuck: the model keeps repeating an earlier answer (3 attempts)",
               "format_errors": "3 replies in a row without a usable tool call",
               "limits_exceeded": "step limit of 3 reached", "error": "BackendError: server gone",
               "cancelled": "interrupted by the user"}.get(stop, "fixed it")
    verdict = judge(stop, message, changed=changed, test_command=command, tests_before=before, tests_after=after)
    assert verdict.status == status and verdict.status in STATUSES
    assert words in verdict.reason


def test_a_reproduction_that_fails_before_and_passes_after_resolves():
    repro = Reproduction("reproduced", "", ["test_issue_7.py"], tests_baseline=PASS, tests_failing=FAIL)
    verdict = judge("submitted", "done", changed=True, test_command="pytest -q", tests_before=FAIL,
                    tests_after=PASS, reproduction=repro)
    assert verdict.status == "resolved" and "reproducing test" in verdict.reason


def test_a_reproduction_that_never_failed_does_not_verify():
    repro = Reproduction("not_reproduced", "passes on the current code", tests_baseline=PASS)
    verdict = judge("submitted", "done", changed=True, test_command="pytest -q", tests_before=PASS,
                    tests_after=PASS, reproduction=repro)
    assert verdict.status == "changed-unverified"


def test_stuck_and_empty_replies_are_their_own_stop_reasons():
    from smallcoder.agent.stuck import StuckDetector
    from smallcoder.errors import EmptyReplies, LimitsExceeded, Stuck
    from smallcoder.types import ToolCall

    detector, call = StuckDetector(), ToolCall("read_file", {"path": "a.py"})
    try:
        for _ in range(5):
            detector.observe(call, "same", True)
    except LimitsExceeded as e:
        assert isinstance(e, Stuck) and stop_reason(e.reason, e.message) == "stuck"
    assert stop_reason(EmptyReplies.reason, "") == "empty_replies"
    assert stop_reason("limits_exceeded", "step limit of 12 reached") == "limits_exceeded"
    assert stop_reason("submitted", "stuck is a word the model may use") == "submitted"
