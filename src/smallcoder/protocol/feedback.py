"""The correction sent back to a model whose reply held no usable tool call.

Short and specific: what was wrong, the exact shape expected in the model's own dialect,
and one example that uses a real tool (the one the model tried, when known).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from smallcoder.protocol.examples import example_call, pick_tool
from smallcoder.protocol.render import render_tool_calls
from smallcoder.protocol.result import ParseResult
from smallcoder.types import ToolCall, ToolSpec

_SUGGESTED = re.compile(r"did you mean '([^']+)'")
_TOOL_PREFIX = re.compile(r"^([\w.\-]+): ")


def format_error_message(result: ParseResult, tools: list[ToolSpec], dialect: str | None,
                         examples: Mapping[str, ToolCall] | None = None) -> str:
    """The correction for `result`, in `dialect` (default: the one the reply used, else hermes).

    `examples` (tool name -> call) replaces the generic example for that tool: the agent passes calls
    built from the file at hand, so nothing in the correction is a placeholder to copy."""
    dialect = dialect or result.dialect or "hermes"
    examples = examples or {}
    tool = pick_tool(tools, _tool_tried(result, tools))
    lines: list[str] = []
    if result.errors:
        plural = "s" if len(result.errors) > 1 else ""
        lines.append(f"Your tool call{plural} could not be used:")
        lines += [f"- {e}" for e in result.errors[:5]]
        if len(result.errors) > 5:
            lines.append(f"- … and {len(result.errors) - 5} more")
        if result.calls:
            lines.append(f"({len(result.calls)} other call(s) in your reply were read correctly.)")
        lines.append("Send the corrected call in exactly this format:")
    else:
        lines.append("Your reply contained no tool call. Reply with exactly one tool call in this format:")
    if tool is None:
        lines.append('{"name": "<tool>", "arguments": {…}}')
    elif dialect == "native":
        call = examples.get(tool.name) or example_call(tool)
        lines.append(f"call the tool `{call.name}` with arguments {json.dumps(call.arguments, ensure_ascii=False)}")
    else:
        lines.append(render_tool_calls([examples.get(tool.name) or example_call(tool)], dialect))
    if not result.errors and any(t.name == "submit" for t in tools):
        lines.append("When the task is done, call submit.")
    return "\n".join(lines)


def _tool_tried(result: ParseResult, tools: list[ToolSpec]) -> str | None:
    names = {t.name for t in tools}
    for error in result.errors:
        match = _TOOL_PREFIX.match(error) or _SUGGESTED.search(error)
        if match and match.group(1) in names:
            return match.group(1)
    return None
