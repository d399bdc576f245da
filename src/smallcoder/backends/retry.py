"""Bounded retries with exponential backoff, for transient server failures only.

A refused connection is not retried (the server is not running: say so at once);
a busy or loading server (429, 503), a timeout or a dropped stream is, a few times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from smallcoder.backends.http_errors import Failure, classify

T = TypeVar("T")


@dataclass
class RetryPolicy:
    attempts: int = 3  # in all, the first try included
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0

    def delay(self, attempt: int) -> float:
        """Backoff before try number `attempt + 1`, with a little jitter so clients do not march in step."""
        return float(min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)) * (1 + random.random() * 0.1))


class GaveUp(Exception):
    """A server call failed in a way we understand; `failure` says how. Raised from the last error."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def call_with_retries(fn: Callable[[], T], policy: RetryPolicy | None = None,
                      sleep: Callable[[float], None] = time.sleep,
                      retry_if: Callable[[Failure], bool] | None = None) -> T:
    """fn() until it succeeds, or a non-transient failure, or the attempts run out (then GaveUp).

    Exceptions that are not server failures (our own bugs) pass through untouched.
    retry_if: an extra condition, e.g. "nothing was streamed to the user yet".
    """
    policy = policy or RetryPolicy()
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            retry = failure.transient and attempt < policy.attempts and (retry_if is None or retry_if(failure))
            if not retry:
                raise GaveUp(failure) from exc
        sleep(policy.delay(attempt))
