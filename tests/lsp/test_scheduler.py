"""The scheduler on its own: a burst of requests costs one generation, a newer request stops the
one generating, a client cancel stops it too, and nothing stale is answered."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from smallcoder.lsp.scheduler import Scheduler


def slow(result: str, seconds: float, stopped: list[str]):
    def compute(cancel: threading.Event) -> str:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if cancel.is_set():
                stopped.append(result)
                return result
            time.sleep(0.005)
        return result
    return compute


@pytest.mark.asyncio
async def test_burst_within_debounce_reaches_the_model_once():
    s = Scheduler(debounce_s=0.05)
    stopped: list[str] = []
    got = await asyncio.gather(*[s.run(slow(f"r{i}", 0.01, stopped)) for i in range(5)])
    assert got == [None, None, None, None, "r4"]
    assert (s.counts.started, s.counts.debounced, s.counts.answered) == (1, 4, 1)
    s.close()


@pytest.mark.asyncio
async def test_newer_request_stops_the_running_generation_and_old_answer_is_dropped():
    s = Scheduler(debounce_s=0.0)
    stopped: list[str] = []
    first = asyncio.ensure_future(s.run(slow("old", 5.0, stopped)))
    await asyncio.sleep(0.1)  # "old" is generating now
    started = time.monotonic()
    second = await s.run(slow("new", 0.01, stopped))
    assert second == "new" and await first is None
    assert stopped == ["old"] and time.monotonic() - started < 2.0  # did not wait out the 5 s
    assert s.counts.superseded == 1
    s.close()


@pytest.mark.asyncio
async def test_client_cancel_stops_the_generation():
    s = Scheduler(debounce_s=0.0)
    stopped: list[str] = []
    task = asyncio.ensure_future(s.run(slow("x", 5.0, stopped)))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if stopped:
            break
        await asyncio.sleep(0.01)
    assert stopped == ["x"] and s.counts.cancelled == 1
    s.close()
