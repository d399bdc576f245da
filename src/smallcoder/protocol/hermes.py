"""Hermes-style calls (Qwen2.5, Qwen3, many fine-tunes):

    <tool_call>
    {"name": "read_file", "arguments": {"path": "a.py"}}
    </tool_call>

Unlike vLLM's parser, one broken call does not discard the others: each <tool_call> is
read on its own, strict JSON first, then repaired. A </tool_call> or <tool_call> inside a
JSON string is text, also when the JSON needs repair (raw newlines in a file body): each
closing tag is tried in turn as the call's end, and the first one before which the JSON
closes by itself is taken. Tolerated: a missing </tool_call> at
the end, "arguments" given as a JSON string, a ```json fence inside the tags, a call
written as Python (read_file(path="a.py")) for a known tool, and the wrapper misnamed as one
of TAGS: Qwen2.5's chat template lists the tools inside <tools></tools>, and small models
wrap their call in that (Qwen2.5-Coder-1.5B on a real repository). A <tool_call> holding
<function=…> is Qwen3 XML and left to that parser.
"""

from __future__ import annotations

import re

from smallcoder.protocol import lenient_json
from smallcoder.protocol.call_shapes import candidates_in, python_call, read_json_calls
from smallcoder.protocol.result import MAX_CALLS, Candidate

OPEN, CLOSE = "<tool_call>", "</tool_call>"
TAGS = "tool_call|tool_calls|toolcall|tools|tool|function_call"  # wrapper names read as <tool_call>
_OPEN = re.compile(rf"<(?:{TAGS})>")
_CLOSE = re.compile(rf"</(?:{TAGS})>")
_INNER_FENCE = re.compile(r"```[\w\-]*[ \t]*\n?")
_AFTER = re.compile(rf"\s*(?:```[ \t]*)?\s*</(?:{TAGS})>")
_MAX_ENDS = 16  # tags tried as a call's end; bounds the work on degenerate output


def parse(text: str, known: dict[str, list[str]]) -> list[Candidate]:
    found: list[Candidate] = []
    start, at = _find(_OPEN, text, 0)
    while start >= 0 and len(found) < MAX_CALLS:
        at = _skip_space(text, at)
        fence = _INNER_FENCE.match(text, at)
        if fence:
            at = _skip_space(text, fence.end())
        bound = _bound(text, at)
        if text.startswith("<function", at):
            start, at = _find(_OPEN, text, at)  # Qwen3 XML inside the wrapper: not ours
            continue
        if at < len(text) and text[at] in "{[":
            cands, stop = _json_calls(text, start, at, bound, known)
        else:
            cands, stop = _non_json(text, start, at, bound, known), bound
        after = _AFTER.match(text, stop)
        end = after.end() if after else stop
        for cand in cands:
            cand.end = end
        found += cands
        start, at = _find(_OPEN, text, max(end, at))
    return found


def _find(tag: re.Pattern[str], text: str, i: int) -> tuple[int, int]:
    """(start, end) of the first `tag` at or after i, or (-1, -1)."""
    m = tag.search(text, i)
    return (m.start(), m.end()) if m else (-1, -1)


def _json_calls(text: str, start: int, at: int, bound: int, known: dict[str, list[str]]) -> tuple[list[Candidate], int]:
    for end in _possible_ends(text, at):
        try:
            value, stop = lenient_json.decode_closed_at(text, at, end)
        except ValueError:
            continue
        if not text[stop:end].strip().strip("`").strip():  # only space (or a fence) up to the tag
            return candidates_in(value, start, stop, known, OPEN), stop
    return read_json_calls(text, at, bound, start, known, OPEN)  # repaired up to the first tag


def _possible_ends(text: str, at: int) -> list[int]:
    """Each closing and opening tag after `at`, then the end of the text; a few at most."""
    ends: list[int] = []
    i = at
    while len(ends) < _MAX_ENDS:
        hits = [p for p in (_find(_CLOSE, text, i)[0], _find(_OPEN, text, i)[0]) if p >= 0]
        if not hits:
            break
        ends.append(min(hits))
        i = min(hits) + 1
    return [*ends, len(text)]


def _non_json(text: str, start: int, at: int, bound: int, known: dict[str, list[str]]) -> list[Candidate]:
    body = text[at:bound].strip()
    if body.endswith("```"):
        body = body[:-3].strip()
    if not body:
        return [Candidate(start, bound, error="the <tool_call> block is empty")]
    shape = python_call(body, known)
    if shape is not None:
        return [Candidate(start, bound, shape[0], shape[1])]
    return [Candidate(start, bound, error='expected a JSON object {"name": …, "arguments": {…}} after <tool_call>')]


def _bound(text: str, at: int) -> int:
    # A broken call is repaired only up to its closing tag or the next call.
    ends = [p for p in (_find(_CLOSE, text, at)[0], _find(_OPEN, text, at)[0]) if p >= 0]
    return min(ends) if ends else len(text)


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i
