"""Our messages as the JSON a server expects: OpenAI chat messages and Ollama /api/chat messages.

Two shapes of assistant turn, and the history must repeat each exactly as it came:
- the server parsed the calls (native): content + `tool_calls`, and each tool result
  answers its call by id (OpenAI) or by tool name (Ollama);
- the server returned raw text with the call inside (text protocol): the text goes
  back verbatim as content, tags included, like the embedded engine does. The
  prompt then extends exactly what the model produced, and a prompt cache
  (llama-server `cache_prompt`, llama-cpp-python's prefix reuse) keeps hitting.
"""

from __future__ import annotations

import json
from typing import Any

from smallcoder.protocol import render_assistant_history, render_tool_instructions
from smallcoder.types import Message, ToolCall, ToolSpec


def with_tool_instructions(messages: list[Message], tools: list[ToolSpec], dialect: str | None) -> list[Message]:
    """For a server that cannot take `tools`: describe them in the system prompt, in the model's dialect."""
    if not tools:
        return messages
    text = render_tool_instructions(tools, dialect or "hermes")
    if messages and messages[0].role == "system":
        first = messages[0]
        return [Message("system", f"{first.content}\n\n{text}"), *messages[1:]]
    return [Message("system", text), *messages]


def openai_messages(messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    last_ids: list[str] = []
    for i, m in enumerate(messages):
        if m.role == "assistant" and m.tool_calls:
            calls = _with_ids(m.tool_calls, i)
            last_ids = [c.id for c in calls]
            out.append({"role": "assistant", "content": m.content or None,
                        "tool_calls": render_assistant_history(calls, "native")})
        elif m.role == "tool":
            # OpenAI servers require an id on every tool message (llama-cpp-python's server
            # rejects one without). Calls read from text have none: a stable synthetic id
            # keeps the prompt byte-identical from one request to the next.
            call_id = m.tool_call_id or (last_ids.pop(0) if last_ids else f"call_{i}")
            entry: dict[str, Any] = {"role": "tool", "content": m.content, "tool_call_id": call_id}
            if m.name:
                entry["name"] = m.name
            out.append(entry)
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def ollama_messages(messages: list[Message], native_tools: bool) -> list[dict[str, Any]]:
    """Ollama's /api/chat shape. Without native tools, tool results become user turns: a
    template with no tool support has no place for the `tool` role."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "assistant" and m.tool_calls:
            calls = [{"function": {"name": c.name, "arguments": _as_mapping(c.arguments)}} for c in m.tool_calls]
            out.append({"role": "assistant", "content": m.content, "tool_calls": calls})
        elif m.role == "tool" and native_tools:
            entry: dict[str, Any] = {"role": "tool", "content": m.content}
            if m.name:
                entry["tool_name"] = m.name
            out.append(entry)
        elif m.role == "tool":
            label = f"Result of {m.name}" if m.name else "Tool result"
            out.append({"role": "user", "content": f"{label}:\n{m.content}"})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def calls_from_openai(raw_calls: list[dict[str, Any]]) -> list[ToolCall]:
    """Server-parsed calls: OpenAI sends the arguments as a JSON string."""
    calls = []
    for raw in raw_calls:
        fn = raw.get("function") or {}
        args: Any = fn.get("arguments")
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except ValueError:
                pass  # left as the string: the protocol's validator decodes it leniently
        calls.append(ToolCall(name=str(fn.get("name") or ""), arguments=args if args is not None else {},
                              id=str(raw.get("id") or "")))
    return calls


def calls_from_ollama(raw_calls: list[Any]) -> list[ToolCall]:
    """Ollama sends the arguments as an object already."""
    calls = []
    for i, raw in enumerate(raw_calls):
        fn = raw["function"] if isinstance(raw, dict) else raw.function
        name = fn["name"] if isinstance(fn, dict) else fn.name
        args = fn["arguments"] if isinstance(fn, dict) else fn.arguments
        calls.append(ToolCall(name=str(name), arguments=dict(args or {}), id=f"call_{i}"))
    return calls


def _with_ids(calls: list[ToolCall], index: int) -> list[ToolCall]:
    return [c if c.id else ToolCall(c.name, c.arguments, f"call_{index}_{k}") for k, c in enumerate(calls)]


def _as_mapping(args: Any) -> Any:
    if isinstance(args, str):
        try:
            return json.loads(args)
        except ValueError:
            return {}
    return dict(args)
