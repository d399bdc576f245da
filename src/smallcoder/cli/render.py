"""Live progress in the terminal: an observer of the agent's events; and the diff, shown exactly."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.status import Status
from rich.style import Style
from rich.text import Text

from smallcoder.agent.events import (
    Event,
    FormatProblem,
    FreshAttempt,
    ModelCalled,
    RunFinished,
    RunStarted,
    StepStarted,
    TestsRan,
    ToolExecuted,
)

# Why a reply's stream was ended by us (agent/stream_stop.py), in the live view's words.
_CUTS = {"tool_call": "after the tool call", "prose": "prose without code or a call", "repeat": "repeating an earlier answer",
         "loop": "one line over and over", "time": "the run's time limit"}


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_DIFF_STYLES = (
    ("+++", Style(bold=True)), ("---", Style(bold=True)), ("diff --git", Style(bold=True)),
    ("@@", Style(color="cyan")), ("+", Style(color="green")), ("-", Style(color="red")),
)


class DiffView:
    """A unified diff for the terminal, byte for byte: no wrapping, cropping, tab expansion or stripped
    blank context lines (rich's Syntax and Text do all four), so what a user copies applies with `git apply`.
    Lines are coloured by their first characters. Print with `console.print(view, soft_wrap=True, end="")`.
    """

    def __init__(self, diff: str) -> None:
        self.diff = diff if diff.endswith("\n") or not diff else diff + "\n"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        for line in self.diff[:-1].split("\n") if self.diff else []:
            style = next((st for prefix, st in _DIFF_STYLES if line.startswith(prefix)), None)
            yield Segment(line, style)  # a Segment is written as it is; Text would expand tabs
            yield Segment("\n")


class ProgressPrinter:
    """Prints each step's thought, tool call and a short observation, with tokens and elapsed time."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.perf_counter()
        self._status: Status | None = None

    def _elapsed(self) -> str:
        return f"{time.perf_counter() - self.started:6.1f}s"

    def _stop_spinner(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def __call__(self, event: Event) -> None:
        c = self.console
        if isinstance(event, RunStarted):
            c.print(f"[bold]run {event.run_id}[/] · model [cyan]{event.model}[/] · context {event.context_window:,}")
            c.print(f"worktree {event.worktree} · branch [cyan]{event.branch}[/]")
            c.print(f"tests: [cyan]{event.test_command or 'none found (pass --test-cmd)'}[/]")
            if event.environment:
                c.print(Text(f"environment: {event.environment}", style="dim"))
        elif isinstance(event, StepStarted):
            self._status = c.status(f"step {event.step}: thinking ({event.prompt_tokens:,} prompt tokens)…")
            self._status.start()
        elif isinstance(event, ModelCalled):
            self._stop_spinner()
            u = event.completion.usage
            c.print(Text.assemble(
                (f"{self._elapsed()} step {event.step} ", "dim"),
                (f"{u.prompt_tokens:,} prompt ({u.cached_tokens:,} cached) → {u.completion_tokens:,} tokens "
                 f"in {event.completion.latency_s:.1f}s", "dim"),
                (f" · stopped early: {_CUTS.get(event.completion.cut, event.completion.cut)}", "dim")
                if event.completion.cut else "",
            ))
            thought = event.completion.text.split("<tool_call>")[0].split("```")[0].strip()
            if thought:
                c.print(Text("  " + _short(thought, 200), style="italic"))
        elif isinstance(event, ToolExecuted):
            args = _short(json.dumps(event.call.arguments, ensure_ascii=False), 120)
            c.print(Text.assemble(("  → ", "bold"), (event.call.name, "bold cyan"), (f" {args}", "")))
            style = "dim" if event.ok else "red"
            c.print(Text("    " + _short(event.observation, 160), style=style))
        elif isinstance(event, FormatProblem):
            self._stop_spinner()
            c.print(Text(f"  ! {_short(event.message, 160)}", style="yellow"))
        elif isinstance(event, FreshAttempt):
            self._stop_spinner()
            c.print(Text(f"  ↻ {event.reason}: attempt {event.attempt} from the start, "
                         f"temperature {event.temperature}", style="yellow"))
        elif isinstance(event, TestsRan):
            mark = "[green]passed[/]" if event.result.passed else "[red]failed[/]"
            c.print(f"{self._elapsed()} tests ({event.phase}): {mark} in {event.result.duration_s:.1f}s")
        elif isinstance(event, RunFinished):
            self._stop_spinner()
            for warning in event.result.warnings:  # a change that deletes code is never taken unawares
                c.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
