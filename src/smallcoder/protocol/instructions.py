"""Compact tool instructions in a model's own call format, for chat templates that cannot
render tools themselves. One signature line per tool instead of full JSON schemas keeps the
fixed prompt small; the example is in the exact format the parser reads best."""

from __future__ import annotations

import json
from typing import Any

from smallcoder.protocol.examples import example_call, pick_tool
from smallcoder.protocol.render import render_tool_calls
from smallcoder.types import ToolSpec

_FORMAT_HINTS = {
    "hermes": "Put one JSON object per call inside <tool_call></tool_call> tags:",
    "qwen3_xml": "Write each call in this XML format. Values are raw text: no quotes, no escaping, "
    "multi-line values are fine:",
    "mistral": "Write each call as [TOOL_CALLS], the tool name, [ARGS] and the arguments as one JSON object:",
    "fenced_json": "Write each call as one JSON object in a ```json code block:",
    "bare_json": "Write each call as one JSON object on its own line:",
    "lmstudio": "Write each call as one JSON object between [TOOL_REQUEST] and [END_TOOL_REQUEST]:",
}


def render_tool_instructions(tools: list[ToolSpec], dialect: str) -> str:
    lines = ["# Tools", "", "You can call these tools:"]
    for tool in tools:
        lines += _describe_tool(tool)
    sample = pick_tool(tools)
    if dialect == "native" or sample is None:
        lines += ["", "Call tools through the function-calling interface; arguments are a JSON object."]
        return "\n".join(lines)
    example = render_tool_calls([example_call(sample)], dialect)
    lines += [
        "",
        "To call a tool, reply with any short reasoning first, then the call, and nothing after it.",
        _FORMAT_HINTS.get(dialect, _FORMAT_HINTS["hermes"]),
        example,
    ]
    return "\n".join(lines)


def _describe_tool(tool: ToolSpec) -> list[str]:
    schema = tool.parameters or {}
    props: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    params = ", ".join(f"{name}{'' if name in required else '?'}: {_type_text(p)}" for name, p in props.items())
    out = [f"- {tool.name}({params}): {_first_line(tool.description)}".rstrip(": ")]
    for name, p in props.items():
        desc = _first_line(p.get("description", "")) if isinstance(p, dict) else ""
        if desc:
            out.append(f"    {name}: {desc}")
    return out


def _type_text(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "any"
    if isinstance(schema.get("enum"), list):
        return "|".join(json.dumps(v) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return "|".join(_type_text(s) for s in schema[key])
    kind = schema.get("type")
    if isinstance(kind, list):
        return "|".join(str(k) for k in kind)
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"array of {_type_text(schema['items'])}"
    return str(kind or "any")


def _first_line(text: str) -> str:
    line = (text or "").strip().split("\n", 1)[0].strip()
    return line if len(line) <= 160 else line[:157] + "..."
