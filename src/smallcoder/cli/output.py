"""The run's final result: a human summary, or one JSON object for machines."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.syntax import Syntax

from smallcoder.agent.events import RunResult


def result_json(result: RunResult, applied: bool) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "status": result.status,
        "success": result.success,
        "reason": result.reason,
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


def print_summary(console: Console, result: RunResult, applied: bool) -> None:
    if result.diff.strip():
        console.print(Syntax(result.diff, "diff", theme="ansi_dark", word_wrap=True))
    before = result.tests_before.passed if result.tests_before else None
    after = result.tests_after.passed if result.tests_after else None

    def mark(v: bool | None) -> str:
        return "[green]pass[/]" if v else ("[red]fail[/]" if v is False else "–")

    colour = "green" if result.success else "yellow"
    console.print(f"[bold {colour}]{result.status}[/] ({result.reason or 'done'}) · tests {mark(before)} → {mark(after)}"
                  f" · {result.steps} steps · {result.usage.prompt_tokens:,} prompt "
                  f"({result.usage.cached_tokens:,} cached) + {result.usage.completion_tokens:,} completion tokens"
                  f" · {result.wall_s:.1f}s")
    if result.commit:
        console.print(f"branch [cyan]{result.branch}[/] @ {result.commit[:10]} — "
                      f"review with `git diff {result.base_commit[:10]} {result.branch}`")
    if applied:
        console.print("[green]applied to your working tree[/]")
    elif result.success:
        console.print("apply it with --apply, or `git merge` the branch")
    console.print(f"details: smallcoder runs show {result.run_id}")
