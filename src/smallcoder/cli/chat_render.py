"""How a chat looks in the terminal: the answer streamed as it is written, each tool call folded to one
line, tests as a verdict, diffs coloured. An Observer of the agent's events plus the session's stream.

Tool-call markup the model writes as text (`<tool_call>…`, `<function=…`, `[TOOL_CALLS]`) is not shown
while it streams: the folded line that follows says what was called.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from smallcoder.agent.events import Event, FormatProblem, ModelCalled, StepStarted, TestsRan, ToolExecuted

MARKERS = ("<tool_call>", "<function=", "[TOOL_CALLS]", "<|tool_call")
ARG_CHARS = 60


class ChatRenderer:
    def __init__(self, console: Console) -> None:
        self.console = console
        self._pending = ""  # streamed text held back: it may be the start of a marker
        self._hidden = False  # a marker was seen: the rest of this reply is a call
        self._streamed = False  # this step's text came through on_text
        self._wrote = False  # and some of it was shown

    # -- streaming -------------------------------------------------------------

    def on_text(self, piece: str) -> None:
        """The session's stream callback: print prose as it arrives, hold back call markup."""
        self._streamed = True
        if self._hidden:
            return
        text = self._pending + piece
        for marker in MARKERS:
            at = text.find(marker)
            if at >= 0:
                self._write(text[:at])
                self._hidden, self._pending = True, ""
                return
        keep = _marker_prefix_len(text)
        self._write(text[: len(text) - keep])
        self._pending = text[len(text) - keep:]

    def _write(self, text: str) -> None:
        if text:
            self._wrote = True
            self.console.file.write(text)
            self.console.file.flush()

    # -- events ------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self._pending, self._hidden, self._streamed, self._wrote = "", False, False, False
        elif isinstance(event, ModelCalled):
            if self._streamed:
                if not self._hidden:
                    self._write(self._pending)
                self._pending = ""
                if self._wrote:
                    self.console.file.write("\n")
            else:
                shown = _before_markers(event.completion.text).strip()
                if shown:
                    self.console.print(shown, markup=False, highlight=False)
        elif isinstance(event, ToolExecuted):
            mark = "[green]●[/]" if event.ok else "[red]✗[/]"
            first = next((ln.strip() for ln in event.observation.splitlines() if ln.strip()), "(no output)")
            lines = event.observation.count("\n") + 1
            self.console.print(f"  {mark} [bold]{escape(event.call.name)}[/] {escape(describe_args(event.call.arguments))}"
                               f" [dim]→ {escape(first[:90])}{f' (+{lines - 1} lines)' if lines > 1 else ''}[/]",
                               highlight=False)
        elif isinstance(event, TestsRan):
            verdict = "[green]PASSED[/]" if event.result.passed else "[red]FAILED[/]"
            self.console.print(f"  tests {verdict} [dim]{escape(event.result.command)} "
                               f"({event.result.duration_s:.1f}s)[/]", highlight=False)
        elif isinstance(event, FormatProblem):
            self.console.print(f"  [yellow]format problem:[/] [dim]{escape(event.message.splitlines()[0][:100])}[/]")

    def diff(self, patch: str) -> None:
        """A unified diff, coloured (or a note when there is nothing)."""
        if not patch.strip():
            self.console.print("[dim](no changes)[/]")
            return
        self.console.print(Syntax(patch, "diff", theme="ansi_dark", background_color="default", word_wrap=True))


def describe_args(arguments: Mapping[str, Any]) -> str:
    """A call's arguments on one short line: the path or command first, long values cut."""
    parts = []
    for key, value in arguments.items():
        text = value if isinstance(value, str) else json.dumps(value)
        text = " ".join(str(text).split())
        if len(text) > ARG_CHARS:
            text = text[: ARG_CHARS - 1] + "…"
        parts.append(text if key in ("path", "command", "pattern") else f"{key}={text}")
    return " ".join(parts)


def _marker_prefix_len(text: str) -> int:
    """Length of the longest tail of `text` that could begin a marker."""
    for n in range(min(len(text), max(map(len, MARKERS)) - 1), 0, -1):
        tail = text[-n:]
        if any(m.startswith(tail) for m in MARKERS):
            return n
    return 0


def _before_markers(text: str) -> str:
    cut = min((i for i in (text.find(m) for m in MARKERS) if i >= 0), default=len(text))
    return text[:cut]
