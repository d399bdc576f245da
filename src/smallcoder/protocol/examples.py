"""Plausible example arguments for a tool, for instructions and corrections.

A concrete example ("path": "src/app.py") teaches a small model more than a placeholder.
"""

from __future__ import annotations

import re
from typing import Any

from smallcoder.types import ToolCall, ToolSpec

_STRINGS = {
    "path": "src/app.py", "file": "src/app.py", "file_path": "src/app.py", "filename": "src/app.py",
    "directory": "src", "dir": "src", "pattern": "def parse_args", "query": "parse_args", "regex": "def \\w+",
    "command": "python -m pytest -x -q", "cmd": "ls -la", "content": "print('hello')\n", "text": "hello",
    "old": "return a - b", "old_str": "return a - b", "old_string": "return a - b", "search": "return a - b",
    "new": "return a + b", "new_str": "return a + b", "new_string": "return a + b", "replace": "return a + b",
    "summary": "Fixed the sign error in add() and added a test.", "message": "Fix the sign error in add()",
    "url": "https://example.com", "name": "example",
}
_PREFERRED_TOOLS = ("read_file", "replace_in_file", "search", "run_command")


def example_call(tool: ToolSpec) -> ToolCall:
    return ToolCall(name=tool.name, arguments=example_arguments(tool))


def example_arguments(tool: ToolSpec) -> dict[str, Any]:
    """Values for the required parameters (for one optional one if none is required)."""
    schema = tool.parameters or {}
    props: dict[str, Any] = schema.get("properties") or {}
    required = [p for p in schema.get("required") or [] if p in props]
    chosen = required or list(props)[:1]
    return {p: example_value(p, props[p] if isinstance(props[p], dict) else {}) for p in chosen}


def example_value(name: str, schema: dict[str, Any]) -> Any:
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = _first_type(schema)
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        items = schema.get("items")
        return [example_value(re.sub(r"s$", "", name), items if isinstance(items, dict) else {})]
    if kind == "object":
        return {}
    return _STRINGS.get(name.lower(), "example")


def pick_tool(tools: list[ToolSpec], wanted: str | None = None) -> ToolSpec | None:
    """The tool to show in an example: the one the model tried, else a simple common one."""
    by_name = {t.name: t for t in tools}
    if wanted in by_name:
        return by_name[wanted]
    for name in _PREFERRED_TOOLS:
        if name in by_name:
            return by_name[name]
    with_args = [t for t in tools if (t.parameters or {}).get("required")]
    candidates = with_args or tools
    return candidates[0] if candidates else None


def _first_type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if isinstance(kind, str):
        return kind
    for sub in schema.get("anyOf") or schema.get("oneOf") or []:
        if isinstance(sub, dict) and sub.get("type") not in (None, "null"):
            return _first_type(sub)
    return "string"
