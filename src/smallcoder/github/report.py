"""Text smallcoder writes from and to GitHub: the agent's task from an issue, the PR, the issue comment.

The wording lives in templates (prompts/issue_task.j2, github_pr_body.j2, github_comment.j2).
"""

from __future__ import annotations

import re

from smallcoder.agent.events import RunResult, TestRun
from smallcoder.agent.prompts import render
from smallcoder.github.models import MARKER, Issue, PullRequest
from smallcoder.github.notes import ModelNotes

MAX_BODY_CHARS = 6_000
MAX_COMMENT_CHARS = 1_500
MAX_DIFF_CHARS = 20_000
TEST_TAIL_CHARS = 1_500
STOCK_REASONS = ("the tests pass after the edit", "done")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_CAUSE_PREFIX = re.compile(r"^(?:the\s+)?root\s+cause(?:\s+is)?\s*:\s*", re.IGNORECASE)
_SUMMARY = re.compile(r"(\d+ (?:passed|failed|errors?)\b.*|^Ran \d+ tests? in .*|^(?:OK|FAILED)\b.*)", re.MULTILINE)


def _clean(text: str, limit: int) -> str:
    """Issue text without template comments, trimmed to what a small model's window can spare."""
    text = _HTML_COMMENT.sub("", text or "").strip()
    return text if len(text) <= limit else text[:limit].rstrip() + "\n[…]"


def _tidy(text: str) -> str:
    """Templates leave blank lines where their tags were; Markdown needs at most one."""
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _causes(notes: list[str]) -> list[str]:
    return [_CAUSE_PREFIX.sub("", n) for n in notes]


def issue_task(issue: Issue) -> str:
    """The task for the agent. Its first line becomes the commit subject, so it names the issue."""
    comments = [c for c in issue.comments if not c.by_smallcoder and c.body.strip()]
    return render("issue_task", issue=issue, body=_clean(issue.body, MAX_BODY_CHARS),
                  comments=[(c.author, _clean(c.body, MAX_COMMENT_CHARS)) for c in comments])


def pr_title(issue: Issue) -> str:
    title = f"Fix #{issue.ref.number}: {issue.title.strip()}"
    return title if len(title) <= 120 else title[:119] + "…"


def test_summary(run: TestRun | None) -> str:
    """One line saying how a test run went ("1 failed, 3 passed in 0.4s")."""
    if run is None:
        return "not run"
    found = _SUMMARY.findall(run.output)
    verdict = "passed" if run.passed else ("timed out" if run.timed_out else "failed")
    detail = found[-1].strip(" =") if found else f"exit code {run.exit_code}"
    return f"{verdict} ({detail})"


def _tail(run: TestRun | None) -> str:
    return run.output.strip()[-TEST_TAIL_CHARS:] if run else ""


def _changed_files(diff: str) -> list[str]:
    return re.findall(r"^diff --git a/\S+ b/(\S+)$", diff, re.MULTILINE)


def pr_body(issue: Issue, result: RunResult, notes: ModelNotes) -> str:
    repro = result.reproduction
    # The model's own account is its submit summary; `reason` says why the status is what it is.
    summary = result.stop_message.strip() if result.stop_reason == "submitted" else ""
    explained = _causes(notes.fix) + ([summary] if summary and summary not in STOCK_REASONS else [])
    diff = result.diff if len(result.diff) <= MAX_DIFF_CHARS else result.diff[:MAX_DIFF_CHARS] + "\n[… diff cut]"
    return _tidy(render(
        "github_pr_body", marker=MARKER, issue=issue, result=result, repro=repro, root_cause=explained,
        repro_notes=notes.reproduce, files=_changed_files(result.diff), diff=diff,
        baseline=test_summary(repro.tests_baseline if repro else result.tests_before),
        before=test_summary(repro.tests_failing if repro and repro.reproduced else result.tests_before),
        after=test_summary(result.tests_after),
        before_tail=_tail(repro.tests_failing if repro and repro.reproduced else result.tests_before),
        after_tail=_tail(result.tests_after),
    ))


def outcome_comment(issue: Issue, result: RunResult, pr: PullRequest | None, notes: ModelNotes) -> str:
    repro = result.reproduction
    return _tidy(render(
        "github_comment", marker=MARKER, issue=issue, result=result, pr=pr, repro=repro,
        root_cause=_causes(notes.fix[:1]), before=test_summary(result.tests_before),
        after=test_summary(result.tests_after),
    ))


def failure_comment(error: Exception) -> str:
    return _tidy(render("github_failure", marker=MARKER, error=str(error)))
