"""Calls written as JSON inside a Markdown code fence, as Qwen2.5-Coder often does
instead of Hermes tags:

    ```json
    {"name": "read_file", "arguments": {"path": "a.py"}}
    ```

Fences labelled json/json5/jsonc/tool_call/tool_code/tool/function_call, or unlabelled,
are read; an unterminated fence at the end is tolerated. A fence whose JSON is not
call-shaped (a package.json the model is showing) is ignored. tool_call, tool_code and
unlabelled fences may also hold a Python-style call to a known tool.
"""

from __future__ import annotations

import re

from smallcoder.protocol import lenient_json
from smallcoder.protocol.call_shapes import calls_in_json, python_call
from smallcoder.protocol.result import MAX_CALLS, Candidate

_OPEN = re.compile(r"(?m)^[ \t]*```[ \t]*([\w+\-.]*)[ \t]*\r?\n")
_CLOSE = re.compile(r"(?m)^[ \t]*```[ \t]*$")
_JSON_LABELS = {
    "", "json", "json5", "jsonc", "js", "javascript",
    "tool_call", "tool_calls", "tool_code", "tool", "function_call", "function",
}
_PY_LABELS = {"", "tool_call", "tool_code", "tool", "python", "py"}


def parse(text: str, known: dict[str, list[str]]) -> list[Candidate]:
    found: list[Candidate] = []
    pos = 0
    while len(found) < MAX_CALLS:
        opening = _OPEN.search(text, pos)
        if opening is None:
            return found
        closing = _CLOSE.search(text, opening.end())
        body_end = closing.start() if closing else len(text)
        end = closing.end() if closing else len(text)
        label = opening.group(1).lower()
        found += _read_body(text[opening.end() : body_end], label, opening.start(), end, known)
        pos = end if end > opening.end() else opening.end()
    return found


def _read_body(body: str, label: str, start: int, end: int, known: dict[str, list[str]]) -> list[Candidate]:
    stripped = body.strip()
    if not stripped or stripped.startswith(("<tool_call>", "<function=")):
        return []  # a Hermes or XML call inside a fence belongs to those parsers (inside a JSON string it is data)
    if label in _JSON_LABELS and stripped[0] in "{[":
        try:
            value = lenient_json.loads(stripped)
        except ValueError as exc:
            if label.startswith(("tool", "function")) or re.search(r"[\"'](?:name|tool)[\"']\s*:", stripped):
                return [Candidate(start, end, error=f"the JSON in the ```{label} block is invalid ({exc})")]
            return []
        return [Candidate(start, end, n, a, i) for n, a, i in calls_in_json(value, known, require_shape=True)]
    if label in _PY_LABELS:
        shape = python_call(stripped, known)
        if shape is not None:
            return [Candidate(start, end, shape[0], shape[1])]
    return []
