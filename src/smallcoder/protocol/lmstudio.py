"""LM Studio's own format, injected when a model's template has no tool support:

    [TOOL_REQUEST]{"name": "read_file", "arguments": {"path": "a.py"}}[END_TOOL_REQUEST]

A missing [END_TOOL_REQUEST] at the end of the output is tolerated.
"""

from __future__ import annotations

from smallcoder.protocol.call_shapes import read_json_calls
from smallcoder.protocol.result import MAX_CALLS, Candidate

OPEN, CLOSE = "[TOOL_REQUEST]", "[END_TOOL_REQUEST]"


def parse(text: str, known: dict[str, list[str]]) -> list[Candidate]:
    found: list[Candidate] = []
    start = text.find(OPEN)
    while start >= 0 and len(found) < MAX_CALLS:
        at = start + len(OPEN)
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        ends = [p for p in (text.find(CLOSE, at), text.find(OPEN, at)) if p >= 0]
        bound = min(ends) if ends else len(text)
        if at < bound and text[at] in "{[":
            cands, stop = read_json_calls(text, at, bound, start, known, OPEN)
        else:
            cands, stop = [Candidate(start, bound, error=f"expected a JSON object after {OPEN}")], bound
        rest = text[stop:].lstrip()
        end = len(text) - len(rest) + len(CLOSE) if rest.startswith(CLOSE) else stop
        for cand in cands:
            cand.end = end
        found += cands
        start = text.find(OPEN, max(end, at))
    return found
