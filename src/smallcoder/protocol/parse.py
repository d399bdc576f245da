"""parse_tool_calls: find the tool calls in a model reply, whatever format the model used.

Every dialect parser reads the text; the one that yields the most valid calls wins, ties
going to the call that starts first (the outermost markup), then to the expected dialect.
An expected dialect that reads cleanly wins at once. Never raises.

Only the reply counts, and only its answer: the text ends at the first end-of-turn marker
(turns.py), reasoning is taken out (think.py), and a call one parser finds inside the value of a
call another parser read (an example call in a file body) is data. Markers and reasoning tags
inside a call's value are data too, so the calls are read first to know where the values are.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from smallcoder.protocol import bare_json, fenced_json, hermes, lmstudio, mistral, native, qwen3_xml
from smallcoder.protocol.result import Candidate, ParseResult
from smallcoder.protocol.think import REASONING_TAGS, split_thinking
from smallcoder.protocol.turns import END_OF_TURN, reply_end
from smallcoder.protocol.validate import validate
from smallcoder.types import ToolCall, ToolSpec

Parser = Callable[[str, dict[str, list[str]]], list[Candidate]]

PARSERS: dict[str, Parser] = {
    "mistral": mistral.parse,
    "lmstudio": lmstudio.parse,
    "qwen3_xml": qwen3_xml.parse,
    "hermes": hermes.parse,
    "fenced_json": fenced_json.parse,
    "bare_json": bare_json.parse,
}
DIALECTS = ("native", *PARSERS)
_MARKERS = re.compile("|".join(re.escape(m) for m in (*END_OF_TURN, *REASONING_TAGS)))
_OPEN_FENCE_AT_END = re.compile(r"\n?[ \t]*```[\w+\-.]*[ \t]*\Z")


def parse_tool_calls(
    text: str,
    tools: list[ToolSpec],
    dialect: str | None = None,
    native_calls: list[ToolCall] | None = None,
) -> ParseResult:
    """Read the tool calls in `text` (or validate `native_calls`) against `tools`.

    dialect: the format the model is expected to use; tried first, the others after it.
    native_calls: calls a server already parsed; they are validated and coerced the same way.
    With an empty `tools`, any name is accepted and arguments are not checked.
    """
    try:
        return _parse(text, tools or [], dialect, native_calls)
    except Exception as exc:  # a parser bug must not crash the agent loop
        content = text if isinstance(text, str) else ""
        return ParseResult(content=content, errors=[f"internal error reading tool calls: {exc!r}"])


def _parse(text: str, tools: list[ToolSpec], dialect: str | None, native_calls: list[ToolCall] | None) -> ParseResult:
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    if native_calls:
        body, _ = split_thinking(text[slice(*reply_end(text))])
        calls, errors = validate(native.candidates(native_calls), tools)
        return ParseResult(content=body.strip(), calls=calls, errors=errors, dialect="native")
    known = {t.name: _param_order(t) for t in tools}
    found, spans = _candidates(text, known, tools)
    start, end = reply_end(text, spans)
    body, thoughts = split_thinking(text[start:end], [(s - start, e - start) for s, e in spans])
    if body != text:
        found, _ = _candidates(body, known, tools)
    best = _best(found, tools, dialect)
    if best is None:
        errors = []
        if thoughts.strip() and _best(_candidates(thoughts, known, tools)[0], tools, dialect) is not None:
            errors.append("the tool call was inside your reasoning, which is never executed: "
                          "write it after the reasoning ends")
        return ParseResult(content=body.strip(), errors=errors)
    start, calls, errors, name = best
    return ParseResult(content=_clean_content(body[:start]), calls=calls, errors=errors, dialect=name)


Found = dict[str, list[Candidate]]


def _candidates(text: str, known: dict[str, list[str]], tools: list[ToolSpec]) -> tuple[Found, list[tuple[int, int]]]:
    """Every parser's candidates, less those inside the value of a call another parser read; and the
    spans of the calls that hold up (a reasoning tag or end-of-turn marker there is data)."""
    found = {name: parser(text, known) for name, parser in PARSERS.items()}
    if sum(bool(cands) for cands in found.values()) < 2 and not _MARKERS.search(text):
        return found, []  # nothing can nest and no marker needs placing: skip validating twice
    # In order of position: a candidate that starts inside a valid call another parser read is data
    # (an example call in a file body), and so cannot in turn make later calls data.
    accepted: list[tuple[str, int, int]] = []
    dropped: set[int] = set()
    ordered = sorted(((c.start, -c.end, name, c) for name, cands in found.items() for c in cands), key=lambda x: x[:2])
    for _, _, name, cand in ordered:
        if any(o != name and (s < cand.start < e or (s == cand.start and cand.end < e)) for o, s, e in accepted):
            dropped.add(id(cand))
        elif _holds(cand, tools):
            accepted.append((name, cand.start, cand.end))
    kept = {name: [c for c in cands if id(c) not in dropped] for name, cands in found.items()}
    return kept, sorted({(s, e) for _, s, e in accepted})


def _holds(cand: Candidate, tools: list[ToolSpec]) -> bool:
    """A candidate that reads as a valid call: only such a call's span makes what is inside it data."""
    return bool(cand.name) and not cand.error and bool(validate([cand], tools)[0])


def _best(found: Found, tools: list[ToolSpec], preferred: str | None) -> tuple[int, list[ToolCall], list[str], str] | None:
    order = list(PARSERS)
    if preferred in PARSERS:
        order.remove(preferred)
        order.insert(0, preferred)
    ranked = []
    for rank, name in enumerate(order):
        cands = found[name]
        if not cands:
            continue
        calls, errors = validate(cands, tools)
        start = min(c.start for c in cands)
        if name == preferred and calls and not errors:
            return start, calls, errors, name
        ranked.append(((-len(calls), start, rank), (start, calls, errors, name)))
    if not ranked:
        return None
    return min(ranked, key=lambda item: item[0])[1]


def _clean_content(text: str) -> str:
    # Text before a call inside a fence ends with the fence opener; it is not reasoning.
    return _OPEN_FENCE_AT_END.sub("", text.rstrip()).strip()


def _param_order(tool: ToolSpec) -> list[str]:
    """Parameter names in schema order: the order positional Python-style arguments map to."""
    return list(((tool.parameters or {}).get("properties") or {}).keys())
