"""Qwen3-Coder XML-style calls:

    <tool_call>
    <function=NAME>
    <parameter=KEY>
    raw value, any number of lines
    </parameter>
    </function>
    </tool_call>

Tolerated, as vLLM and llama.cpp do: a missing <tool_call> wrapper, missing </parameter>
(the value ends at the next <parameter=, at </function> or at the end), missing
</function> and </tool_call>. Exactly one newline is stripped on each side of a value and
nothing else, so indentation survives. Values are not XML: '&' and '<' stay verbatim.

Values are raw text with no escaping, so a value may hold the format's own tags: an XML
fixture with <parameter name="x">…</parameter> lines, a parser's test with an example
<tool_call>, a docstring. Such a tag is data. A value ends only at a </parameter> that is
followed by the next <parameter=, </function>, </tool_call> or the end, and of the readings
that fit, the first is taken in which every parameter name is given once (and known, when the
tool is) and no stray </parameter> or </function> is left over after the call (structure.py).
Nothing inside a value becomes a call: the next call is looked for after this one ends.
"""

from __future__ import annotations

import re

from smallcoder.protocol import lenient_json
from smallcoder.protocol.qwen3_xml_structure import read_structured
from smallcoder.protocol.result import MAX_CALLS, Candidate

_FUNCTION = re.compile(r"<function\s*=\s*")
_PARAM = re.compile(r"<parameter(?:\s*=\s*([^>\n]*?))?\s*(/)?>")
_PARAM_END = re.compile(r"</parameter(?:\s*=[^>\n]*)?>")
_CLOSE_WRAPPER = re.compile(r"\s*</tool_call>")
_TRAILING_FENCE = re.compile(r"\n```[ \t]*\n?\s*\Z")


def parse(text: str, known: dict[str, list[str]]) -> list[Candidate]:
    """known: tool name → parameter names in schema order (for nameless <parameter> tags)."""
    found: list[Candidate] = []
    match = _FUNCTION.search(text)
    while match is not None and len(found) < MAX_CALLS:
        following = _FUNCTION.search(text, match.end())
        limit = following.start() if following else len(text)
        cand = _read_function(text, match.start(), match.end(), limit, known)
        found.append(cand)
        # A call read by structure may hold <function= in its values: look on after its end.
        match = _FUNCTION.search(text, max(cand.end, match.end()))
    return found


def _read_function(text: str, start: int, name_at: int, limit: int, known: dict[str, list[str]]) -> Candidate:
    lo = max(0, start - 200)
    before = text[lo:start].rstrip()
    call_start = lo + len(before) - len("<tool_call>") if before.endswith("<tool_call>") else start
    name_end = _name_end(text, name_at, len(text))
    name = text[name_at:name_end].strip().rstrip("/").strip().strip("\"'`").strip()  # also <function=x/>
    body_start = name_end + 1 if name_end < len(text) and text[name_end] == ">" else name_end
    visible = text
    if _in_open_fence(text, call_start):  # a call inside a ``` block that the fence's end closes
        fence = _TRAILING_FENCE.search(text, body_start)
        visible = text[: fence.start() + 1] if fence else text
    structured = read_structured(visible, body_start, known.get(name))
    if structured is not None:
        return Candidate(start=call_start, end=structured[1], name=name or None, arguments=structured[0],
                         raw_values=True)
    name_end = min(name_end, limit)
    body_start = min(body_start, limit)
    close = text.find("</function>", body_start, limit)
    if close >= 0:
        body_end = close
        end = close + len("</function>")
        after = _CLOSE_WRAPPER.match(text, end, limit)
        end = after.end() if after else end
    else:
        body_end = _unterminated_end(text, body_start, limit)
        if _in_open_fence(text, call_start):
            fence = _TRAILING_FENCE.search(text, body_start, body_end)
            body_end = fence.start() + 1 if fence else body_end
        end = body_end
    args, error = _read_parameters(text, body_start, body_end, known.get(name, []))
    return Candidate(start=call_start, end=end, name=name or None, arguments=args, raw_values=True, error=error)


def _name_end(text: str, at: int, limit: int) -> int:
    for j in range(at, limit):
        if text[j] in ">\n":
            return j
    return limit


def _unterminated_end(text: str, at: int, limit: int) -> int:
    # Without </function>, the call ends where a new call starts (or the output ends).
    ends = [p for p in (text.find("</tool_call>", at, limit), text.find("<tool_call>", at, limit)) if p >= 0]
    return min(ends) if ends else limit


def _in_open_fence(text: str, at: int) -> bool:
    return len(re.findall(r"(?m)^[ \t]*```", text[:at])) % 2 == 1


def _read_parameters(text: str, start: int, end: int, names: list[str]) -> tuple[dict[str, str] | None, str | None]:
    params = list(_PARAM.finditer(text, start, end))
    if not params:
        body = text[start:end].strip()
        if body.startswith("{"):
            # A near-miss: JSON arguments inside <function=NAME>…</function>.
            try:
                value = lenient_json.loads(body)
            except ValueError as exc:
                return None, f"the arguments inside <function=…> are neither <parameter=…> tags nor valid JSON ({exc})"
            return (value if isinstance(value, dict) else None), None
        return {}, None
    args: dict[str, str] = {}
    unnamed: list[str] = []
    for i, match in enumerate(params):
        limit = params[i + 1].start() if i + 1 < len(params) else end
        if match.group(2):  # <parameter=x/> or <parameter/>: no value
            if match.group(1):
                args[_clean(match.group(1))] = ""
            continue
        close = _PARAM_END.search(text, match.end(), limit)
        value = text[match.end() : close.start() if close else limit]
        if match.group(1) is not None:
            args[_clean(match.group(1))] = _strip_one_newline(value)
            continue
        # <parameter>…</parameter> without a name, as small models write it. Either the name
        # inside the tag and the value after it (<parameter>old</parameter>VALUE</parameter>),
        # or a bare value for the next parameter not given yet.
        label = value.strip()
        if label in names:
            second = _PARAM_END.search(text, close.end(), limit) if close else None
            if close and second and label not in args:
                args[label] = _strip_one_newline(text[close.end() : second.start()])
            continue  # a parameter name without a value is not a value
        unnamed.append(_strip_one_newline(value))
    for value in unnamed:
        slot = next((n for n in names if n not in args), None)
        if slot is None:
            return args, "a <parameter> tag has no name; write <parameter=NAME>"
        args[slot] = value
    return args, None


def _clean(name: str) -> str:
    return name.strip().strip("\"'`").strip()


def _strip_one_newline(value: str) -> str:
    if value.startswith("\n"):
        value = value[1:]
    if value.endswith("\n"):
        value = value[:-1]
    return value
