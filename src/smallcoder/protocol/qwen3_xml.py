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
"""

from __future__ import annotations

import re

from smallcoder.protocol import lenient_json
from smallcoder.protocol.result import Candidate

_FUNCTION = re.compile(r"<function\s*=\s*")
_PARAM = re.compile(r"<parameter\s*=\s*([^>\n]*)>")
_PARAM_END = re.compile(r"</parameter(?:\s*=[^>\n]*)?>")
_CLOSE_WRAPPER = re.compile(r"\s*</tool_call>")
_TRAILING_FENCE = re.compile(r"\n```[ \t]*\n?\s*\Z")


def parse(text: str) -> list[Candidate]:
    starts = [m for m in _FUNCTION.finditer(text)]
    found: list[Candidate] = []
    for i, match in enumerate(starts):
        limit = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        found.append(_read_function(text, match.start(), match.end(), limit))
    return found


def _read_function(text: str, start: int, name_at: int, limit: int) -> Candidate:
    lo = max(0, start - 200)
    before = text[lo:start].rstrip()
    call_start = lo + len(before) - len("<tool_call>") if before.endswith("<tool_call>") else start
    name_end = _name_end(text, name_at, limit)
    name = text[name_at:name_end].strip().strip("\"'`").strip()
    body_start = name_end + 1 if name_end < limit and text[name_end] == ">" else name_end
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
    args, error = _read_parameters(text, body_start, body_end)
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


def _read_parameters(text: str, start: int, end: int) -> tuple[dict[str, str] | None, str | None]:
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
    for i, match in enumerate(params):
        value_start = match.end()
        limit = params[i + 1].start() if i + 1 < len(params) else end
        close = _PARAM_END.search(text, value_start, limit)
        value = text[value_start : close.start() if close else limit]
        key = match.group(1).strip().strip("\"'`").strip()
        args[key] = _strip_one_newline(value)
    return args, None


def _strip_one_newline(value: str) -> str:
    if value.startswith("\n"):
        value = value[1:]
    if value.endswith("\n"):
        value = value[:-1]
    return value
