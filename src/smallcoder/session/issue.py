"""From a GitHub issue to a pull request: fetch the issue, reproduce, fix, push, open or update the PR.

    ref ─► issue (title, body, labels, comments) ─► task ─► run_fix (reproduce first) ─► commit
        ─► --pr: push to smallcoder/issue-<N> (force-with-lease) ─► open, or update our open PR
        ─► --comment: the outcome on the issue

Nothing is pushed or written to GitHub unless asked (pr / comment), and a change is only pushed
when it is verified. Re-runs reuse the issue's branch and its open PR instead of adding new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from smallcoder.agent.events import Observer, RunResult
from smallcoder.errors import SmallcoderError
from smallcoder.github.client import GitHubClient
from smallcoder.github.errors import GitHubError
from smallcoder.github.models import Issue, PostedComment, PullRequest
from smallcoder.github.notes import ModelNotes
from smallcoder.github.push import Pushed, issue_branch, push_commit, remote_head
from smallcoder.github.refs import IssueRef, parse_issue_ref
from smallcoder.github.report import failure_comment, issue_task, outcome_comment, pr_body, pr_title
from smallcoder.session.fix import FixOptions
from smallcoder.session.setup import Session
from smallcoder.workspace.git import find_repo_root, git, git_out
from smallcoder.workspace.snapshot import work_tree_state


@dataclass
class IssueJob:
    """An issue fetched and checked, ready to run."""

    ref: IssueRef
    issue: Issue
    client: GitHubClient
    task: str


@dataclass
class Delivery:
    pushed: Pushed | None = None
    pull_request: PullRequest | None = None
    comment: PostedComment | None = None
    note: str = ""  # why nothing was pushed, when --pr was asked for

    def as_dict(self) -> dict[str, Any]:
        pr = self.pull_request
        return {
            "pushed": None if not self.pushed else {"remote": self.pushed.remote, "branch": self.pushed.branch,
                                                    "commit": self.pushed.commit, "previous": self.pushed.previous},
            "pull_request": None if not pr else {"number": pr.number, "url": pr.url, "created": pr.created,
                                                 "draft": pr.draft, "base": pr.base, "head": pr.head},
            "comment": None if not self.comment else self.comment.url,
            "note": self.note,
        }


@dataclass
class IssueRun:
    issue: Issue
    result: RunResult
    delivery: Delivery = field(default_factory=Delivery)


def prepare_issue(ref_text: str, repo: Path, *, pr: bool = False, comment: bool = False) -> IssueJob:
    """Everything that can fail before the model is loaded: the reference, the token, the tree, the issue."""
    ref = parse_issue_ref(ref_text, repo)
    client = GitHubClient.for_issue(ref)
    if pr:
        client.require_token("open a pull request")
        _check_pushable(repo)
    if comment:
        client.require_token("comment on the issue")
    issue = client.get_issue(ref)
    if issue.state == "closed":
        raise GitHubError(f"issue {ref} is closed — reopen it if the problem is still there, then run again")
    return IssueJob(ref, issue, client, issue_task(issue))


def options_for(job: IssueJob, options: FixOptions, reproduce: bool = True) -> FixOptions:
    return replace(options, reproduce=reproduce, reproduce_name=f"issue_{job.ref.number}")


def deliver(job: IssueJob, result: RunResult, notes: ModelNotes, *, pr: bool = False, draft: bool = False,
            comment: bool = False) -> Delivery:
    delivery = Delivery()
    if pr and result.success and result.commit:
        root = Path(result.repo)
        branch = issue_branch(job.ref.number)
        delivery.pushed = push_commit(root, result.commit, branch)
        base = _pr_base(root, job)
        delivery.pull_request = job.client.open_or_update_pull(
            job.ref, branch, base, pr_title(job.issue), pr_body(job.issue, result, notes), draft=draft)
    elif pr:
        delivery.note = f"nothing was pushed: the change is not verified ({result.status}: {result.reason})"
    if comment:
        delivery.comment = job.client.comment_on_issue(
            job.ref, outcome_comment(job.issue, result, delivery.pull_request, notes))
    return delivery


def run_issue(session: Session, job: IssueJob, repo: Path, options: FixOptions, observers: Sequence[Observer] = (),
              *, pr: bool = False, draft: bool = False, comment: bool = False) -> IssueRun:
    """Fix a prepared issue in `session`, then deliver (push + PR, comment) as asked.

    `options` should come from `options_for(job, …)` (reproduce first). A failed run is reported on the
    issue when `comment` is set (the Actions workflow relies on it), then re-raised.
    """
    notes = ModelNotes()
    try:
        result = session.fix(job.task, repo, options, [*observers, notes])
    except SmallcoderError as e:
        if comment:
            report_failure(job, e)
        raise
    return IssueRun(job.issue, result, deliver(job, result, notes, pr=pr, draft=draft, comment=comment))


def fix_issue(session: Session, ref_text: str, repo: Path, options: FixOptions, observers: Sequence[Observer] = (),
              *, pr: bool = False, draft: bool = False, comment: bool = False, reproduce: bool = True) -> IssueRun:
    """The whole unattended flow for library users: fetch the issue, fix it in `session`, deliver."""
    job = prepare_issue(ref_text, repo, pr=pr, comment=comment)
    return run_issue(session, job, repo, options_for(job, options, reproduce), observers,
                     pr=pr, draft=draft, comment=comment)


def report_failure(job: IssueJob, error: Exception) -> None:
    try:
        job.client.comment_on_issue(job.ref, failure_comment(error))
    except GitHubError:
        pass  # the original error is the one to report


def _check_pushable(repo: Path) -> None:
    root = find_repo_root(repo)
    if git(["remote", "get-url", "origin"], root, ok_codes=(0, 2, 128)).returncode != 0:
        raise GitHubError(f"{root} has no `origin` remote to push the branch to — add it, or leave out --pr")
    if work_tree_state(root) != git_out(["rev-parse", "HEAD^{tree}"], root):
        raise GitHubError(f"{root} has uncommitted changes, and --pr would push them with the fix — "
                          "commit or stash them first (or move untracked files out)")


def _pr_base(root: Path, job: IssueJob) -> str:
    """The branch the run started from, when the remote has it; else the repository's default branch."""
    proc = git(["symbolic-ref", "--short", "-q", "HEAD"], root, ok_codes=(0, 1))
    current = proc.stdout.decode("utf-8", "replace").strip()
    if current and not current.startswith("smallcoder/") and remote_head(root, current):
        return current
    return job.client.default_branch(job.ref)
