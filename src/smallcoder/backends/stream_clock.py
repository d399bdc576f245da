"""Timing of one streamed answer: time to first token, decode speed, and the live text hook.

Every backend streams, so the figures mean the same everywhere: time to first
token is prompt processing (what the KV cache saves), tokens/s is generation.
`on_text` is the optional hook a terminal sets on a backend to show the answer
as it is written; a failing hook never breaks the model call.
"""

from __future__ import annotations

import time

from smallcoder.backends.base import OnText


class StreamClock:
    def __init__(self, on_text: OnText | None = None) -> None:
        self.on_text = on_text
        self.started = time.perf_counter()
        self.first: float | None = None
        self.pieces: list[str] = []

    def token(self) -> None:
        """Something generated arrived (text or a tool-call fragment)."""
        if self.first is None:
            self.first = time.perf_counter()

    def text(self, piece: str | None) -> None:
        if not piece:
            return
        self.token()
        self.pieces.append(piece)
        if self.on_text is not None:
            try:
                self.on_text(piece)
            except Exception:
                self.on_text = None  # display trouble must not cost the model call

    @property
    def streamed(self) -> bool:
        return self.first is not None

    @property
    def joined(self) -> str:
        return "".join(self.pieces)

    def finish(self) -> tuple[float, float | None]:
        """(latency_s, ttft_s) now that the answer is complete."""
        latency = time.perf_counter() - self.started
        return latency, (None if self.first is None else self.first - self.started)

    @staticmethod
    def rate(tokens: int, seconds: float | None) -> float | None:
        return round(tokens / seconds, 2) if tokens > 0 and seconds and seconds > 0 else None
