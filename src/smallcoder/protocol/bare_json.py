"""A call written as a bare JSON object in the text, with no tags or fence:

    I'll read the file. {"name": "read_file", "arguments": {"path": "a.py"}}

Also the near-miss keys {"tool": …, "parameters": …}, {"function": …}, {"action": …,
"action_input": …}. Only call-shaped objects count, so JSON the model merely shows is ignored.
"""

from __future__ import annotations

import re

from smallcoder.protocol import lenient_json
from smallcoder.protocol.call_shapes import calls_in_json
from smallcoder.protocol.result import MAX_CALLS, Candidate

_START = re.compile(
    r"\{\s*[\"']?(?:name|tool|tool_name|function|function_name|action|tool_calls|arguments|parameters)[\"']?\s*:"
)
_MAX_TRIES = 50  # bounds the work on long replies full of braces


def parse(text: str, known: dict[str, list[str]]) -> list[Candidate]:
    found: list[Candidate] = []
    pos = 0
    for _ in range(_MAX_TRIES):
        match = _START.search(text, pos)
        if match is None:
            break
        start = match.start()
        try:
            value, stop = lenient_json.decode_at(text, start)
        except ValueError:
            pos = start + 1
            continue
        shapes = calls_in_json(value, known, require_shape=True)
        if shapes and len(found) >= MAX_CALLS:
            break
        if shapes:
            found += [Candidate(start, stop, n, a, i) for n, a, i in shapes]
            pos = max(stop, start + 1)
        else:
            pos = start + 1
    return found
