"""Write tool calls back out: as the exact text a model emits in its dialect (for prompts
of templates without tool support, few-shot examples and tests), and as history entries
for chat templates."""

from __future__ import annotations

import json
from typing import Any

from smallcoder.types import ToolCall


def render_tool_calls(calls: list[ToolCall], dialect: str, mistral_form: str = "v13") -> str:
    """The calls exactly as a model of `dialect` writes them.

    mistral_form: "v13" (NAME[ARGS]{…}, Devstral), "v11" (NAME[CALL_ID]ID[ARGS]{…}) or
    "v3" (one JSON list after [TOOL_CALLS]).
    """
    if dialect == "qwen3_xml":
        return "\n".join(_qwen3_xml(c) for c in calls)
    if dialect == "mistral":
        return _mistral(calls, mistral_form)
    if dialect == "lmstudio":
        return "".join(f"[TOOL_REQUEST]{_call_json(c)}[END_TOOL_REQUEST]" for c in calls)
    if dialect == "fenced_json":
        return "\n".join(f"```json\n{_call_json(c)}\n```" for c in calls)
    if dialect in ("bare_json", "native"):
        return "\n".join(_call_json(c) for c in calls)
    return "\n".join(f"<tool_call>\n{_call_json(c)}\n</tool_call>" for c in calls)  # hermes


def render_assistant_history(calls: list[ToolCall], dialect: str | None) -> list[dict[str, Any]]:
    """OpenAI-shaped tool_calls for an assistant message in the history.

    For an OpenAI-compatible server ("native") arguments are the JSON string the API
    expects. For every other dialect they stay a dict: the chat templates rendered in
    process (Qwen3-Coder iterates `arguments|items`; Hermes and Mistral apply `tojson`)
    need a mapping, and a string would be rendered quoted or fail.
    """
    entries = []
    for call in calls:
        args: Any = json.dumps(call.arguments, ensure_ascii=False) if dialect == "native" else dict(call.arguments)
        entries.append({"id": call.id, "type": "function", "function": {"name": call.name, "arguments": args}})
    return entries


def _call_json(call: ToolCall) -> str:
    return json.dumps({"name": call.name, "arguments": call.arguments}, ensure_ascii=False)


def _qwen3_xml(call: ToolCall) -> str:
    # The layout of Qwen3-Coder's chat template; strings raw, other values as JSON.
    params = "".join(f"<parameter={k}>\n{_xml_value(v)}\n</parameter>\n" for k, v in call.arguments.items())
    return f"<tool_call>\n<function={call.name}>\n{params}</function>\n</tool_call>"


def _xml_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _mistral(calls: list[ToolCall], form: str) -> str:
    if form == "v3":
        items = [{"name": c.name, "arguments": c.arguments, **({"id": c.id} if c.id else {})} for c in calls]
        return "[TOOL_CALLS]" + json.dumps(items, ensure_ascii=False)
    parts = []
    for c in calls:
        call_id = f"[CALL_ID]{c.id}" if form == "v11" and c.id else ""
        parts.append(f"[TOOL_CALLS]{c.name}{call_id}[ARGS]{json.dumps(c.arguments, ensure_ascii=False)}")
    return "".join(parts)
