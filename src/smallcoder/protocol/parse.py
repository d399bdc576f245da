"""parse_tool_calls: find the tool calls in a model reply, whatever format the model used.

Every dialect parser reads the text; the one that yields the most valid calls wins, ties
going to the call that starts first (the outermost markup), then to the expected dialect.
An expected dialect that reads cleanly wins at once. Never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from smallcoder.protocol import bare_json, fenced_json, hermes, lmstudio, mistral, native, qwen3_xml
from smallcoder.protocol.result import Candidate, ParseResult
from smallcoder.protocol.think import split_thinking
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
    body, thoughts = split_thinking(text)
    if native_calls:
        calls, errors = validate(native.candidates(native_calls), tools)
        return ParseResult(content=body.strip(), calls=calls, errors=errors, dialect="native")
    known = {t.name: _param_order(t) for t in tools}
    best = _best(body, tools, known, dialect)
    if best is None and thoughts.strip():
        # Some models put the call inside their reasoning and stop there.
        in_thoughts = _best(thoughts, tools, known, dialect)
        if in_thoughts is not None and in_thoughts[1]:
            _, calls, errors, name = in_thoughts
            return ParseResult(content=body.strip(), calls=calls, errors=errors, dialect=name)
    if best is None:
        return ParseResult(content=body.strip())
    start, calls, errors, name = best
    return ParseResult(content=_clean_content(body[:start]), calls=calls, errors=errors, dialect=name)


def _best(
    text: str, tools: list[ToolSpec], known: dict[str, list[str]], preferred: str | None
) -> tuple[int, list[ToolCall], list[str], str] | None:
    order = list(PARSERS)
    if preferred in PARSERS:
        order.remove(preferred)
        order.insert(0, preferred)
    ranked = []
    for rank, name in enumerate(order):
        cands = PARSERS[name](text, known)
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
