"""Timing of one streamed answer: time to first token, decode speed, and the live text hook.

Every backend streams, so the figures mean the same everywhere: time to first
token is prompt processing (what the KV cache saves), tokens/s is generation.
`on_text` is the optional hook a terminal sets on a backend to show the answer
as it is written; a failing hook never breaks the model call. `stop` is the
caller's check of the text so far (agent/stream_stop.py): when it names a
reason, `text` answers True and the backend ends the stream there.
"""

from __future__ import annotations

import time
from typing import Any

from smallcoder.backends.base import OnText, StopCheck


class StreamClock:
    def __init__(self, on_text: OnText | None = None, stop: StopCheck | None = None) -> None:
        self.on_text = on_text
        self.stop = stop
        self.cut = ""  # the reason `stop` gave, once it gave one
        self.started = time.perf_counter()
        self.first: float | None = None
        self.pieces: list[str] = []

    def token(self) -> None:
        """Something generated arrived (text or a tool-call fragment)."""
        if self.first is None:
            self.first = time.perf_counter()

    def prefill(self, text: str) -> None:
        """The reply's given start (Backend.complete's `prefill`): shown and seen by the stop check as part
        of the reply, but not generated, so not the first token."""
        if text:
            self.pieces.append(text)
            self._show(text)

    def text(self, piece: str | None) -> bool:
        """One piece of generated text arrived; True = the caller's `stop` check wants the stream ended now."""
        if not piece:
            return False
        self.token()
        self.pieces.append(piece)
        self._show(piece)
        if self.stop is not None and not self.cut:
            self.cut = self.stop(self.joined)
        return bool(self.cut)

    def _show(self, text: str) -> None:
        if self.on_text is not None:
            try:
                self.on_text(text)
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
    def split(latency: float, ttft: float | None) -> tuple[float | None, float | None]:
        """(prompt_s, generation_s) measured from outside: time to first token is prompt evaluation
        (plus a little transport), the rest is generation. Unstreamed: all of it counts as generation."""
        if ttft is None:
            return None, latency
        return ttft, max(0.0, latency - ttft)

    @staticmethod
    def rate(tokens: int, seconds: float | None) -> float | None:
        return round(tokens / seconds, 2) if tokens > 0 and seconds and seconds > 0 else None


def close_stream(stream: Any) -> None:
    """Hang up on a stream we stopped reading: the openai client's Stream and a generator both have `close`
    (typed by their clients as a plain Iterator); a server then stops generating for us."""
    close = getattr(stream, "close", None)
    if callable(close):
        close()
