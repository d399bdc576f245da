"""The run's final result: a human summary, or one JSON object for machines.

`--json` prints exactly one object whatever happens after the arguments are parsed: `result_json` for a
finished run, `failure_json` when the command failed (with the run's record when one was made).
"""

from __future__ import annotations

import json
import os
import traceback
from typing import Any

from rich.console import Console

from smallcoder.agent.events import Event, RunFinished, RunResult, RunStarted
from smallcoder.cli.exitcodes import CHANGED_UNVERIFIED, REFUSED, error_status, exit_code
from smallcoder.cli.render import DiffView
from smallcoder.errors import SmallcoderError

STATUS_STYLE = {
    "resolved": "green",
    "changed-unverified": "yellow",
    "unresolved": "yellow",
    "error": "red",
    "cancelled": "magenta",
}


def result_json(result: RunResult, applied: bool, *, code: int | None = None) -> dict[str, Any]:
    """The machine-readable result. `status` and `reason` say what the run achieved (docs/outcomes.md),
    `stop_reason` how the agent stopped, `warnings` what to check before taking the change."""
    return {
        "run_id": result.run_id,
        "status": result.status,
        "reason": result.reason,
        "stop_reason": result.stop_reason,
        "stop_message": result.stop_message,
        "exit_code": exit_code(result.status) if code is None else code,
        "success": result.success,
        "warnings": result.warnings,
        "deletions": [d.to_json() for d in result.deletions],
        "branch": result.branch,
        "base_commit": result.base_commit,
        "commit": result.commit,
        "worktree": result.worktree,
        "diff": result.diff,
        "tests_command": result.test_command,
        "tests_before_passed": result.tests_before.passed if result.tests_before else None,
        "tests_after_passed": result.tests_after.passed if result.tests_after else None,
        "steps": result.steps,
        "model_calls": result.model_calls,
        "prompt_tokens": result.usage.prompt_tokens,
        "cached_tokens": result.usage.cached_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "wall_s": round(result.wall_s, 2),
        "model": result.model,
        "applied": applied,
    }


def failure_json(status: str, reason: str, code: int, *, run_id: str | None = None,
                 result: RunResult | None = None) -> dict[str, Any]:
    """The object `--json` prints when the command itself failed. With the run's recorded result (an error
    or a cancel mid-run) it is that result's object with this status and reason; otherwise the fields a
    script needs: status, reason, exit_code, run_id (null when no run was recorded)."""
    if result is not None:
        return {**result_json(result, False, code=code), "status": status, "reason": reason}
    return {"run_id": run_id, "status": status, "reason": reason, "exit_code": code, "success": False,
            "applied": False}


def print_summary(console: Console, result: RunResult, applied: bool) -> None:
    if result.diff.strip():
        console.print(DiffView(result.diff), soft_wrap=True, end="")
    before = result.tests_before.passed if result.tests_before else None
    after = result.tests_after.passed if result.tests_after else None

    def mark(v: bool | None) -> str:
        return "[green]pass[/]" if v else ("[red]fail[/]" if v is False else "–")

    colour = STATUS_STYLE.get(result.status, "")
    stopped = f" · stopped: {result.stop_reason}" if result.stop_reason else ""
    console.print(f"[bold {colour}]{result.status}[/] ({result.reason}){stopped} · tests {mark(before)} → {mark(after)}"
                  f" · {result.steps} steps · {result.usage.prompt_tokens:,} prompt "
                  f"({result.usage.cached_tokens:,} cached) + {result.usage.completion_tokens:,} completion tokens"
                  f" · {result.wall_s:.1f}s", highlight=False)
    if result.warnings:  # the live view printed them as the run finished; the summary only points at them
        console.print(f"[yellow]{len(result.warnings)} warning(s) above: check the change before taking it[/]")
    if result.commit:
        console.print(f"branch [cyan]{result.branch}[/] @ {result.commit[:10]} — "
                      f"review with `git diff {result.base_commit[:10]} {result.branch}`")
    if applied:
        console.print("[green]applied to your working tree[/]")
    elif result.success:
        console.print("apply it with --apply, or `git merge` the branch")
    console.print(f"details: smallcoder runs show {result.run_id} · the raw diff: smallcoder runs show "
                  f"{result.run_id} --diff")


class RunTracker:
    """An observer that remembers the run's id once it starts and its result once it is recorded, so a
    command that fails midway can still name the run (and `--json` print its record)."""

    def __init__(self) -> None:
        self.run_id: str | None = None
        self.result: RunResult | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.run_id = event.run_id
        elif isinstance(event, RunFinished):
            self.run_id, self.result = event.run_id, event.result


def _one_line(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted by the user"
    text = str(error).strip().splitlines()
    return text[0] if isinstance(error, SmallcoderError) and text else f"{type(error).__name__}: {' '.join(text)}"


def report_failure(error: BaseException, tracker: RunTracker, *, as_json: bool) -> int:
    """Tell the user (one line on stderr) or the script (one JSON object on stdout) how `fix` failed, and
    return the exit code (cli/exitcodes.py). SMALLCODER_DEBUG=1 adds the traceback on stderr."""
    status, code = error_status(error, run_started=tracker.run_id is not None)
    reason = _one_line(error)
    if os.environ.get("SMALLCODER_DEBUG") and not isinstance(error, KeyboardInterrupt):
        traceback.print_exception(error)
    if as_json:
        print(json.dumps(failure_json(status, reason, code, run_id=tracker.run_id, result=tracker.result), indent=2))
        return code
    err = Console(stderr=True, soft_wrap=True)
    where = f" — run {tracker.run_id}: its worktree and record are kept (`smallcoder runs show {tracker.run_id}`)" \
        if tracker.run_id else ""
    if status == "cancelled":
        err.print(f"[yellow]interrupted{where or ''}[/]", highlight=False)
    else:
        err.print(f"[bold red]error:[/] {reason}{where}", highlight=False)
    return code


def apply_decision(result: RunResult, *, force: bool) -> tuple[bool, str, int]:
    """Whether `--apply` may take the change: (apply it, why not (empty when it may), exit code).

    A resolved change applies unless it deletes definitions the task does not mention; then, and for a
    changed-unverified change, only with --force. Anything else never applies.
    """
    code = exit_code(result.status)
    if result.status == "resolved" and (force or not result.deletions):
        return True, "", code
    if result.status == "resolved":
        gone = ", ".join(d.describe() for d in result.deletions)
        return False, (f"not applied: the change deletes {gone}, which the task does not mention; review it "
                       "and pass --force to apply it"), REFUSED
    if result.status == "changed-unverified" and force:
        return True, "", CHANGED_UNVERIFIED
    if result.status == "changed-unverified":
        return False, f"not applied: nothing verified the change ({result.reason}); pass --force to apply it", code
    return False, f"not applied: the run is {result.status} ({result.reason}); the change stays on its branch", code
