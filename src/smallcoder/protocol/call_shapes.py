"""Recognise a tool call in a decoded JSON value, whatever keys the model chose.

Accepted shapes (and lists of them):
  {"name": N, "arguments": A}                     Hermes, Mistral, LM Studio
  {"name"|"tool"|"tool_name"|"function"|"action": N,
   "arguments"|"parameters"|"args"|"params"|"input"|"tool_input"|"action_input": A}
  {"function": {"name": N, "arguments": A}}       OpenAI style, with or without "type"
  {"tool_calls": [...]}
  {"name": N, **flat_arguments}                   only when N is a known tool
"""

from __future__ import annotations

import ast
import re
from collections.abc import Container
from typing import Any

from smallcoder.protocol import lenient_json
from smallcoder.protocol.result import Candidate

NAME_KEYS = ("name", "tool", "tool_name", "function", "function_name", "action", "recipient_name")
ARG_KEYS = ("arguments", "parameters", "args", "params", "input", "tool_input", "action_input", "kwargs")
_META_KEYS = {"id", "type", "call_id", "tool_call_id", "index"}

_NAME_HINT = re.compile(r"[\"']?(?:name|tool|function)[\"']?\s*:\s*[\"']([\w.\-]+)[\"']")

Shape = tuple[str | None, Any, str]  # name, arguments, id


def calls_in_json(value: Any, known: Container[str], require_shape: bool) -> list[Shape]:
    """Calls found in value. With require_shape False, an object that is not call-shaped is
    still returned (name None) so the caller can report it instead of dropping it."""
    if isinstance(value, list):
        found: list[Shape] = []
        for item in value:
            found += calls_in_json(item, known, True)
        if not found and value and not require_shape:
            return [(None, value, "")]
        return found
    if not isinstance(value, dict):
        return [] if require_shape else [(None, value, "")]
    if isinstance(value.get("tool_calls"), list):
        return calls_in_json(value["tool_calls"], known, require_shape)
    shape = _one_call(value, known)
    if shape is not None:
        return [shape]
    return [] if require_shape else [(None, value, "")]


def _one_call(obj: dict[str, Any], known: Container[str]) -> Shape | None:
    call_id = next((str(obj[k]) for k in ("id", "call_id") if isinstance(obj.get(k), (str, int))), "")
    inner = obj.get("function")
    if isinstance(inner, dict) and isinstance(inner.get("name"), str):
        args: Any = next((inner[k] for k in ARG_KEYS if k in inner), {})
        return inner["name"], args, call_id
    name_key = next((k for k in NAME_KEYS if isinstance(obj.get(k), str)), None)
    if name_key is None:
        return None
    name = obj[name_key]
    arg_key = next((k for k in ARG_KEYS if k in obj), None)
    if arg_key is not None:
        return name, obj[arg_key], call_id
    if name.strip() in known:
        flat = {k: v for k, v in obj.items() if k != name_key and k not in _META_KEYS}
        return name, flat, call_id
    return None


def python_call(text: str, known: dict[str, list[str]]) -> Shape | None:
    """A call written as Python, e.g. read_file(path="a.py") or read_file("a.py"), for a known tool.

    Positional values are matched to the tool's parameters in schema order.
    """
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except Exception:  # SyntaxError, or deep nesting in arbitrary text
        return None
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name not in known:
        return None
    params = known[name]
    if len(node.args) > len(params):
        return None
    try:
        args = {params[i]: ast.literal_eval(arg) for i, arg in enumerate(node.args)}
        for kw in node.keywords:
            if kw.arg is None:
                return None
            args[kw.arg] = ast.literal_eval(kw.value)
    except Exception:  # not a literal: a variable, an expression
        return None
    return name, args, ""


def read_json_calls(
    text: str, at: int, bound: int, start: int, known: Container[str], where: str
) -> tuple[list[Candidate], int]:
    """Decode the JSON at text[at] (lenient past `bound` is not read) into call candidates.

    `start` is where the call's markup begins (for content); `where` names the markup in
    error messages, e.g. "<tool_call>". Returns the candidates and the index after the JSON.
    """
    try:
        value, stop = lenient_json.decode_at(text, at, bound)
    except ValueError as exc:
        name = _NAME_HINT.search(text, at, bound)
        reason = f"the JSON after {where} is invalid and could not be repaired ({exc})"
        return [Candidate(start, bound, name.group(1) if name else None, None, error=reason)], bound
    return candidates_in(value, start, stop, known, where), stop


def candidates_in(value: Any, start: int, stop: int, known: Container[str], where: str) -> list[Candidate]:
    """The call candidates in a decoded JSON value that spans text[start:stop]."""
    shapes = calls_in_json(value, known, require_shape=False)
    if not shapes:
        return [Candidate(start, stop, None, None, error=f"the JSON after {where} holds no tool call")]
    return [Candidate(start, stop, n, a, i) for n, a, i in shapes]
