"""Shell tools: run a command in the worktree, run the project's tests.

Both go through workspace.runner, which owns timeouts (whole process group),
output truncation and, later, the sandbox (ctx.wrap).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from smallcoder.errors import ToolError
from smallcoder.tools.base import ToolContext
from smallcoder.workspace import runner
from smallcoder.workspace.runner import CommandResult
from smallcoder.workspace.test_output import condense
from smallcoder.workspace.truncate import join_cut

TAIL_SHARE = 0.8  # test failures and their summary come last: keep mostly the tail
NOTE_ROOM = 100  # room for the status line and the cut note within the observation budget


def run_command(ctx: ToolContext, command: Annotated[str, Field(description="shell command")]) -> str:
    """Run a shell command in the repository root and show its exit code and output."""
    if not command.strip():
        raise ToolError("command is empty; give a shell command to run")
    # Leave room for the status line and the cut note, so invoke() never cuts a second time.
    result = _run(ctx, command, max(200, ctx.max_observation_chars - NOTE_ROOM))
    status = f"timed out after {ctx.command_timeout:g}s" if result.timed_out else f"exit code {result.exit_code}"
    return f"{status}\n{result.output.rstrip() or '(no output)'}"


def run_tests(ctx: ToolContext) -> str:
    """Run the project's tests and show whether they pass."""
    if not ctx.test_command:
        raise ToolError("no test command known; pass --test-cmd")
    # Ask the runner for more than fits, then keep mostly the tail, where the failures are.
    result = _run(ctx, ctx.test_command, ctx.max_observation_chars * 4)
    if result.timed_out:
        status = f"FAILED (timed out after {ctx.command_timeout:g}s)"
    elif result.exit_code == 0:
        status = "PASSED"
    else:
        status = f"FAILED (exit {result.exit_code})"
    budget = max(200, ctx.max_observation_chars - NOTE_ROOM)
    return f"{status}\n{tail_heavy(condense(result.output).rstrip(), budget) or '(no output)'}"


def _run(ctx: ToolContext, command: str, max_chars: int) -> CommandResult:
    return runner.run_command(
        command,
        ctx.root,
        timeout=ctx.command_timeout,
        max_output_chars=max_chars,
        env=ctx.env,
        wrap=ctx.wrap,
    )


def tail_heavy(text: str, max_chars: int) -> str:
    """`text` cut to about max_chars, keeping a short head and a long tail."""
    if len(text) <= max_chars:
        return text
    tail_chars = int(max_chars * TAIL_SHARE)
    head_chars = max(0, max_chars - tail_chars - 2)  # two newlines around the cut note
    head, tail = text[:head_chars], text[len(text) - tail_chars :]
    middle = text[head_chars : len(text) - tail_chars]
    return join_cut(head, tail, len(middle), middle.count("\n"))
