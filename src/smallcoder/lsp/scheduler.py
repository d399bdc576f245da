"""Debounce and supersede: at most one generation in flight, and never a stale answer.

Every request gets a sequence number. A newer request, or an edit of the document (the user typed
again), sets the older one's cancel event, which the backend checks after each token, so its
generation stops at once; the older request then answers nothing. A client ``$/cancelRequest`` cancels the asyncio task awaiting
the answer, which sets the same event. The debounce wait lets a burst of keystrokes cost one
generation: only a request still newest after ``debounce_s`` reaches the model.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass
class SchedulerCounts:
    """How requests ended: ``started`` reached the model; ``debounced`` were dropped during the wait;
    ``superseded`` were overtaken while generating; ``cancelled`` were cancelled by the client."""

    received: int = 0
    started: int = 0
    answered: int = 0
    debounced: int = 0
    superseded: int = 0
    cancelled: int = 0


class Scheduler:
    """Runs ``compute(cancel_event)`` in one worker thread, newest request only."""

    def __init__(self, debounce_s: float = 0.05) -> None:
        self.debounce_s = debounce_s
        self.counts = SchedulerCounts()
        self._seq = 0
        self._cancel: threading.Event | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smallcoder-fim")

    async def run(self, compute: Callable[[threading.Event], T]) -> T | None:
        """The answer, or None when this request was superseded before or while computing.
        Raises asyncio.CancelledError when the client cancelled it (the generation is stopped)."""
        self.counts.received += 1
        self._seq += 1
        mine = self._seq
        if self._cancel is not None:
            self._cancel.set()  # the older request's generation stops at its next token
        cancel = threading.Event()
        self._cancel = cancel
        try:
            if self.debounce_s > 0:
                await asyncio.sleep(self.debounce_s)
            if mine != self._seq:
                self.counts.debounced += 1
                return None
            self.counts.started += 1
            result = await asyncio.get_running_loop().run_in_executor(self._worker, compute, cancel)
        except asyncio.CancelledError:
            cancel.set()
            self.counts.cancelled += 1
            raise
        if mine != self._seq or cancel.is_set():
            self.counts.superseded += 1
            return None
        self.counts.answered += 1
        return result

    def supersede(self) -> None:
        """The document changed: whatever is waiting or generating was asked for text that is gone, so it
        answers nothing (a client that shows a late answer would insert it over what was typed since)."""
        self._seq += 1
        if self._cancel is not None:
            self._cancel.set()

    def close(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
        self._worker.shutdown(wait=False, cancel_futures=True)
