"""The status words reach pull-request bodies and issue comments: the outcome, its reason, the deletions, and
the model's own summary as the root cause (not the status reason)."""

from smallcoder.agent.events import RunResult
from smallcoder.agent.events import TestRun as Suite
from smallcoder.github.models import Issue, PullRequest
from smallcoder.github.notes import ModelNotes
from smallcoder.github.refs import IssueRef
from smallcoder.github.report import outcome_comment, pr_body
from smallcoder.types import Usage
from smallcoder.workspace.deletions import Deletion

ISSUE = Issue(IssueRef("acme", "stats", 7), "mean() is off", "mean([2,4,6]) gives 6", "open")
DIFF = "diff --git a/stats.py b/stats.py\n--- a/stats.py\n+++ b/stats.py\n@@ -1 +1 @@\n-a\n+b\n"


def result(status: str, reason: str, *, deletions: list[Deletion] | None = None) -> RunResult:
    return RunResult(
        run_id="r1", status=status, reason=reason, repo="/r", worktree="/w", branch="smallcoder/issue-7",
        base_commit="abc", commit="def", diff=DIFF, test_command="pytest -q",
        tests_before=Suite("pytest -q", False, 1, "1 failed in 0.1s", 0.1),
        tests_after=Suite("pytest -q", True, 0, "1 passed in 0.1s", 0.1), steps=2, model_calls=2, usage=Usage(),
        wall_s=3.0, model="m", stop_reason="submitted", stop_message="mean divided by n - 1",
        deletions=deletions or [],
    )


def test_pr_body_names_the_outcome_the_deletions_and_the_models_summary():
    gone = [Deletion("stats.py", "spread", "function", 9)]
    body = pr_body(ISSUE, result("resolved", "the tests that failed before the change pass after it",
                                 deletions=gone), ModelNotes())
    assert "Outcome: **resolved** — the tests that failed before the change pass after it." in body
    assert "**Warning:** the change deletes spread() in stats.py; the task does not mention it" in body
    root_cause = body.split("## Root cause", 1)[1].split("##", 1)[0]
    assert "mean divided by n - 1" in root_cause and "pass after it" not in root_cause


def test_comments_say_resolved_changed_unverified_or_unresolved():
    pr = PullRequest(8, "https://github.com/acme/stats/pull/8", "smallcoder/issue-7", "main")
    assert "opened https://github.com/acme/stats/pull/8" in outcome_comment(
        ISSUE, result("resolved", "ok"), pr, ModelNotes())
    text = outcome_comment(ISSUE, result("changed-unverified", "no test command: nothing verified the change"),
                           None, ModelNotes())
    assert "could not verify it (changed-unverified: no test command" in text
    text = outcome_comment(ISSUE, result("unresolved", "the tests still fail after the change",
                                         deletions=[Deletion("stats.py", "Stats", "class", 3)]), None, ModelNotes())
    assert "(unresolved: the tests still fail after the change)" in text
    assert "**Warning:** the change deletes class Stats in stats.py." in text
