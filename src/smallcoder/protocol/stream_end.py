"""Where a streamed reply's first complete tool call ends, so generation can stop right there.

Pure text functions over a reply as it grows. A call counts as complete only when its body is
closed by itself before the closing marker, so a marker inside a value (an XML fixture, a parser
test, a docstring) never ends it early:

    hermes / None   <tool_call> {JSON object, closed} </tool_call>
                    (the JSON may sit in a ``` fence inside the tags, as Qwen2.5-Coder writes it;
                    the tags may be misnamed <tools> … as hermes.TAGS lists)
    qwen3_xml       <tool_call> <function=…> … </function> </tool_call>
    any dialect     ```json fence holding one closed JSON object with a "name", then the closing ```

Other shapes (Mistral's [TOOL_CALLS] list, bare JSON, LM Studio) have no end marker a reply could
stop at without guessing, and are left to run to the end.
"""

from __future__ import annotations

import re

from smallcoder.protocol.hermes import TAGS

OPEN, CLOSE = "<tool_call>", "</tool_call>"
_OPEN = re.compile(rf"<(?:{TAGS})>")  # the wrapper and the names small models give it (protocol/hermes.py)
# What shows a reply has got to code or a call (for a cap on prose before them).
CODE_STARTS = ("<tool_call>", "```", '{"name"', "[TOOL_CALLS]", "<function=", "[TOOL_REQUEST]")
_FENCE_OPEN = re.compile(r"```(?:json)?[ \t]*\n?\s*(?=\{)")
_CLOSE_AFTER_JSON = re.compile(rf"\s*(?:```[ \t]*)?\s*</(?:{TAGS})>")
_CLOSE_AFTER_XML = re.compile(r"\s*</function>\s*</tool_call>")
_FENCE_CLOSE = re.compile(r"\s*```")


def first_call_end(text: str, dialect: str | None) -> int | None:
    """Index just past the first complete tool call in `text`, or None while there is none.

    `dialect` is the backend's ("hermes", "qwen3_xml", …; None = not known). Cost: linear in `text`."""
    ends = [_tagged_end(text, dialect), _fenced_json_end(text)]
    found = [e for e in ends if e is not None]
    return min(found) if found else None


def has_code_or_call(text: str) -> bool:
    """Whether `text` has started a code block or a tool call in any shape smallcoder reads."""
    return any(marker in text for marker in CODE_STARTS)


def _tagged_end(text: str, dialect: str | None) -> int | None:
    if dialect not in (None, "hermes", "qwen3_xml"):
        return None
    opened = _OPEN.search(text)
    while opened:
        at = opened.end()
        body = text[at:].lstrip()
        at = len(text) - len(body)
        resume = at
        if body.startswith("<function="):
            close = text.find("</function>", at)
            while close >= 0:
                tail = _CLOSE_AFTER_XML.match(text, close)
                if tail:
                    return tail.end()
                close = text.find("</function>", close + 1)
            return None  # still open: a later <tool_call> is inside its values
        fence = _FENCE_OPEN.match(text, at)
        obj = fence.end() if fence else at
        if text.startswith("{", obj):
            end = json_object_end(text, obj)
            if end is None:
                return None  # still open: a later <tool_call> is inside a string of it
            tail = _CLOSE_AFTER_JSON.match(text, end)
            if tail:
                return tail.end()
            resume = end
        opened = _OPEN.search(text, resume)
    return None


def _fenced_json_end(text: str) -> int | None:
    start = text.find("```json")
    while start >= 0:
        fence = _FENCE_OPEN.match(text, start)
        inside_tags = text.rfind(OPEN, 0, start) > text.rfind(CLOSE, 0, start)  # then the tags decide
        if fence and not inside_tags:
            end = json_object_end(text, fence.end())
            tail = _FENCE_CLOSE.match(text, end) if end is not None else None
            if tail and '"name"' in text[fence.end():end]:
                return tail.end()
        start = text.find("```json", start + 1)
    return None


def json_object_end(text: str, start: int, *, single_quotes: bool = False) -> int | None:
    """Index just past the JSON value that opens at text[start] ("{" or "["), or None if it has not closed.

    Counts brackets outside strings, honouring backslash escapes; it does not validate the JSON (a
    parser does that later), it only tells whether the value has closed. `single_quotes` also takes
    '...' as a string (Python literals small models write), except an apostrophe inside a word."""
    depth, quote, escaped = 0, "", False
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch == '"' or (single_quotes and ch == "'" and not _inside_word(text, i)):
            quote = ch
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _inside_word(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()  # "doesn't"
