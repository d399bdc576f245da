"""Mistral / Devstral calls, in every tokenizer generation's shape:

    [TOOL_CALLS][{"name": "read_file", "arguments": {"path": "a.py"}, "id": "abc123XYZ"}]   v2-v7
    [TOOL_CALLS]read_file[CALL_ID]abc123XYZ[ARGS]{"path": "a.py"}                           v11
    [TOOL_CALLS]read_file[ARGS]{"path": "a.py"}                                             v13+ (Devstral)
    [TOOL_CALLS]read_file{"path": "a.py"}            [ARGS] dropped when decoding specials

Calls may follow each other with or without a new [TOOL_CALLS]. When a server strips the
control tokens ([TOOL_CALLS] and [ARGS] decoded as nothing), the call may end up glued to the
prose on the same line: "I'll read it first.read_file{"path": "a.py"}". So without the marker,
NAME[ARGS]{…} is read for any name, and NAME{…} for a known tool wherever the name does not
continue a longer word (after a space, a dot, a quote or a closing brace; a dotted prefix such
as "first.read_file" counts only with its known last part).
"""

from __future__ import annotations

import re

from smallcoder.protocol import lenient_json
from smallcoder.protocol.call_shapes import read_json_calls
from smallcoder.protocol.result import MAX_CALLS, Candidate

MARKER = "[TOOL_CALLS]"
_NAMED = re.compile(r"\s*([A-Za-z_][\w.\-]*)\s*(?:\[CALL_ID\]\s*([^\[{\s]*)\s*)?(\[ARGS\])?\s*")
_CHAINED = re.compile(r"\s*[A-Za-z_][\w.\-]*\s*(?:\[CALL_ID\]|\[ARGS\])")
_UNMARKED = re.compile(
    r"([A-Za-z_][\w.\-]*)(?:\[CALL_ID\][^\[{\s]*)?\[ARGS\]"  # NAME[ARGS] anywhere
    r"|(?<![\w\-])([A-Za-z_][\w\-]*)[ \t]*(?=\{)"  # NAME{ where NAME is a whole word (checked as known)
)


def parse(text: str, known: dict[str, list[str]]) -> list[Candidate]:
    if MARKER not in text:
        return _unmarked(text, known)
    found: list[Candidate] = []
    marker = text.find(MARKER)
    while marker >= 0 and len(found) < MAX_CALLS:
        start, at = marker, marker + len(MARKER)
        while True:
            cands, stop = _read_call(text, start, at, _bound(text, at), known)
            found += cands
            chained = _CHAINED.match(text, stop)
            if chained is None or any(c.error for c in cands) or len(found) >= MAX_CALLS:
                break
            start = at = stop + len(chained.group()) - len(chained.group().lstrip())
        marker = text.find(MARKER, stop)
    return found


def _read_call(text: str, start: int, at: int, bound: int, known: dict[str, list[str]]) -> tuple[list[Candidate], int]:
    while at < bound and text[at] in " \t\r\n":
        at += 1
    if at < bound and text[at] in "[{":
        return read_json_calls(text, at, bound, start, known, MARKER)
    named = _NAMED.match(text, at, bound)
    if named is None:
        if at >= bound:
            return [Candidate(start, bound, error=f"nothing follows {MARKER}")], bound
        return [Candidate(start, bound, error=f"expected a tool name or a JSON list after {MARKER}")], bound
    name, call_id, j = named.group(1), named.group(2) or "", named.end()
    if j < bound and text[j] == "{":
        return _read_args(text, start, j, bound, name, call_id)
    if j >= bound or not text[j:bound].strip():
        return [Candidate(start, j, name, {}, call_id)], j  # a call without arguments
    return [Candidate(start, j, name, None, call_id, error=f"expected JSON arguments after {name}[ARGS]")], j


def _read_args(text: str, start: int, at: int, bound: int, name: str, call_id: str = "") -> tuple[list[Candidate], int]:
    try:
        value, stop = lenient_json.decode_at(text, at, bound)
    except ValueError as exc:
        reason = f"the JSON arguments after {name}[ARGS] are invalid and could not be repaired ({exc})"
        return [Candidate(start, bound, name, None, call_id, error=reason)], bound
    return [Candidate(start, stop, name, value, call_id)], stop


def _unmarked(text: str, known: dict[str, list[str]]) -> list[Candidate]:
    found: list[Candidate] = []
    if "{" not in text:
        return found
    for match in _UNMARKED.finditer(text):
        if len(found) >= MAX_CALLS:
            break
        name = match.group(1) or match.group(2)
        start = match.start(1) if match.group(1) else match.start(2)
        if match.group(1) and name not in known and "." in name and name.rsplit(".", 1)[1] in known:
            start += len(name) - len(name.rsplit(".", 1)[1])  # "first.read_file[ARGS]": prose glued on
            name = name.rsplit(".", 1)[1]
        if match.group(2) and name not in known:
            continue
        if found and start < found[-1].end:
            continue
        brace = match.end()
        while brace < len(text) and text[brace] in " \t\r\n":
            brace += 1
        if brace >= len(text) or text[brace] != "{":
            continue
        cands, _ = _read_args(text, start, brace, _bound(text, brace), name)
        if cands[0].error is None:
            found += cands
    return found


def _bound(text: str, at: int) -> int:
    nxt = text.find(MARKER, at)
    return nxt if nxt >= 0 else len(text)
