"""The run's final result: a human summary, or one JSON object for machines.

`--json` prints exactly one object whatever happens after the arguments are parsed: `result_json` for a
finished run, `failure_json` when the command failed (with the run's record when one was made).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from smallcoder.agent.events import RunResult
from smallcoder.cli.exitcodes import exit_code
from smallcoder.cli.render import DiffView

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
