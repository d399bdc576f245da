"""Separate reasoning blocks (<think>…</think>, [THINK]…[/THINK]) from the rest of a reply.

Only reasoning that comes before the first call marker is removed, so a file body that
happens to contain "</think>" inside a tool call stays intact. A closing tag without an
opener (templates that put "<think>" in the prompt) removes everything before it. An
opener that is never closed loses only the tag: the text after it may hold the call.
"""

from __future__ import annotations

import re

_PAIRS = (("<think>", "</think>"), ("[THINK]", "[/THINK]"), ("<thinking>", "</thinking>"))
_CALL_MARKERS = re.compile(r"<tool_call>|<function=|\[TOOL_CALLS\]|\[TOOL_REQUEST\]|```|\{\s*[\"']")


def split_thinking(text: str) -> tuple[str, str]:
    """Return (text without leading reasoning, the reasoning that was removed)."""
    thoughts: list[str] = []
    changed, rounds = True, 0
    while changed and rounds < 8:  # a reply has a block or two; degenerate output has thousands
        rounds += 1
        changed = False
        for opener, closer in _PAIRS:
            text, thought = _strip_one(text, opener, closer)
            if thought is not None:
                thoughts.append(thought)
                changed = True
    return text, "\n".join(thoughts)


def _strip_one(text: str, opener: str, closer: str) -> tuple[str, str | None]:
    close = text.find(closer)
    marker = _CALL_MARKERS.search(text)
    first_call = marker.start() if marker else len(text)
    open_at = text.find(opener)
    if close >= 0 and close < first_call or (close >= 0 and 0 <= open_at < first_call and open_at < close):
        # A closed block, or a dangling closer, that starts before any call.
        start = open_at if 0 <= open_at < close else 0
        body_start = start + len(opener) if 0 <= open_at < close else 0
        thought = text[body_start:close]
        return text[:start] + text[close + len(closer):], thought
    if 0 <= open_at < first_call:
        return text[:first_call].replace(opener, "") + text[first_call:], ""
    return text, None
