"""The `fix --issue` additions to the CLI: flag checks and what is printed about the delivery."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from smallcoder.agent.events import RunResult
from smallcoder.errors import SmallcoderError
from smallcoder.session.issue import Delivery, IssueJob


def check_issue_flags(task: str | None, issue: str | None, *, pr: bool, draft: bool, comment: bool) -> None:
    if issue and task:
        raise SmallcoderError("give either a TASK or --issue, not both — the task is built from the issue")
    if not issue and (pr or comment):
        raise SmallcoderError("--pr and --comment need --issue — pass the issue to fix (URL, OWNER/REPO#N or N)")
    if draft and not pr:
        raise SmallcoderError("--draft goes with --pr — nothing is pushed or opened without --pr")


def delivery_json(job: IssueJob | None, delivery: Delivery | None) -> dict[str, Any]:
    if job is None or delivery is None:
        return {}
    return {"issue": str(job.ref), "issue_url": job.issue.url, **delivery.as_dict()}


def print_delivery(console: Console, result: RunResult, delivery: Delivery | None) -> None:
    repro = result.reproduction
    if repro is not None:
        colour = "green" if repro.reproduced else "yellow"
        files = f": {', '.join(repro.test_files)}" if repro.reproduced else f" ({repro.reason})"
        console.print(f"reproduction: [{colour}]{repro.status.replace('_', ' ')}[/]{files}")
    if delivery is None:
        return
    if delivery.pushed:
        verb = "pushed" if delivery.pushed.changed else "already on"
        console.print(f"{verb} {delivery.pushed.remote}/{delivery.pushed.branch} @ {delivery.pushed.commit[:10]}")
    if delivery.pull_request:
        pr = delivery.pull_request
        console.print(f"[green]pull request #{pr.number} {'opened' if pr.created else 'updated'}[/]: {pr.url}")
    if delivery.note:
        console.print(f"[yellow]{delivery.note}[/]")
    if delivery.comment:
        console.print(f"commented on the issue: {delivery.comment.url}")
