"""GitHub failures as one-line messages that say what to do."""

from __future__ import annotations

import time
from typing import Mapping

from smallcoder.errors import SmallcoderError

TOKEN_HELP = "set GITHUB_TOKEN (or GH_TOKEN), or run `gh auth login`"


class GitHubError(SmallcoderError):
    """Talking to GitHub (or pushing to its remote) failed; the message says how to fix it."""


def rate_limit_message(headers: Mapping[str, str] | None, has_token: bool) -> str:
    reset = _header(headers, "x-ratelimit-reset")
    retry_after = _header(headers, "retry-after")  # secondary limits say how long to wait instead
    when = ""
    if retry_after and retry_after.isdigit():
        when = f" (retry in {int(retry_after)} s)"
    elif reset and reset.isdigit():
        wait = max(0, int(reset) - int(time.time()))
        when = f" until {time.strftime('%H:%M UTC', time.gmtime(int(reset)))} ({(wait + 59) // 60} min)"
    fix = "wait and retry" if has_token else f"wait, or {TOKEN_HELP} (authenticated requests get 5,000 an hour)"
    return f"GitHub API rate limit exceeded{when} — {fix}"


def is_rate_limited(status: int, headers: Mapping[str, str] | None, message: str) -> bool:
    """403/429 with no requests left, or the secondary-limit wording GitHub documents."""
    if status not in (403, 429):
        return False
    return _header(headers, "x-ratelimit-remaining") == "0" or "rate limit" in message.lower()


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None
