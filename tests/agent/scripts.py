"""Model outputs for scripted runs, in the shapes real Qwen2.5-Coder models produce."""

import json


def hermes(name: str, **arguments: object) -> str:
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"


def fenced(name: str, **arguments: object) -> str:
    # What Qwen2.5-Coder 0.5B/1.5B most often write instead of <tool_call> tags.
    return "```json\n" + json.dumps({"name": name, "arguments": arguments}, indent=2) + "\n```"


FIX_MEAN = hermes(
    "replace_in_file", path="stats.py",
    old="return sum(values) / (len(values) - 1)", new="return sum(values) / len(values)",
)
