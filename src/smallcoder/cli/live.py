"""The model's answer as it is written: the session's stream callback shown on the step's spinner line.

The step printing stays as it is (one summary line per step); while a step runs,
its spinner shows the tail of the text streaming in, so a slow local model is
visibly working rather than silent.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from smallcoder.agent.events import Event, StepStarted
from smallcoder.cli.render import ProgressPrinter

TAIL_CHARS = 70


class LivePrinter(ProgressPrinter):
    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self._label = ""
        self._tail = ""

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self._label = f"step {event.step}: thinking ({event.prompt_tokens:,} prompt tokens)…"
            self._tail = ""
        super().__call__(event)

    @property
    def streams(self) -> bool:
        """Whether streamed text can be shown (a terminal that is not silenced)."""
        return not self.console.quiet and self.console.is_terminal

    def on_text(self, piece: str) -> None:
        self._tail = (self._tail + piece)[-400:]
        status = self._status
        if status is not None:
            shown = " ".join(self._tail.split())[-TAIL_CHARS:]
            status.update(f"{self._label} [dim]{escape(shown)}[/]")


def live_printer(console: Console) -> LivePrinter:
    """The progress printer for a run; pass its `on_text` as the session's stream when `streams`."""
    return LivePrinter(console)
