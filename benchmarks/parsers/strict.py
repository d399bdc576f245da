"""Strict baseline parsers: accept only well-formed output, as typical server-side parsers do.

- Hermes: vLLM's shape — <tool_call>(.*?)</tool_call>, or an unterminated last block, each
  body json.loads-ed strictly; one JSON error and no call at all is returned (all-or-nothing).
- Qwen3 XML: every tag present and closed: <tool_call>, <function=…>, <parameter=…>,
  </parameter>, </function>, </tool_call>; one newline stripped around values; values typed
  from the schema as vLLM's qwen3_coder parser does (int(), float(), "true", json.loads).
- Mistral: [TOOL_CALLS] followed by a strict JSON list (pre-v11) or NAME[ARGS]{json} (v11+).
- LM Studio: [TOOL_REQUEST]{json}[END_TOOL_REQUEST].
No repair, no name resolution, no coercion beyond the XML typing above.
"""

from __future__ import annotations

import json
import re
from typing import Any

from smallcoder.types import ToolCall, ToolSpec

_HERMES = re.compile(r"<tool_call>(.*?)</tool_call>|<tool_call>(.*)", re.DOTALL)
_XML_BLOCK = re.compile(r"<tool_call>\s*<function=([^>\n]+)>\n?(.*?)</function>\s*</tool_call>", re.DOTALL)
_XML_PARAM = re.compile(r"<parameter=([^>\n]+)>(.*?)</parameter>\s*", re.DOTALL)
_MISTRAL_V11 = re.compile(r"([A-Za-z_][\w.\-]*)(?:\[CALL_ID\][A-Za-z0-9]+)?(?:\[ARGS\])?(\{.*)", re.DOTALL)
_LMSTUDIO = re.compile(r"\[TOOL_REQUEST\](.*?)\[END_TOOL_REQUEST\]", re.DOTALL)


def strict_hermes(text: str, tools: list[ToolSpec]) -> list[ToolCall]:
    calls = []
    for closed, open_end in _HERMES.findall(text):
        try:
            obj = json.loads((closed or open_end).strip())
            args = obj["arguments"]
            if isinstance(args, str):
                args = json.loads(args)
            calls.append(ToolCall(obj["name"], args))
        except (ValueError, KeyError, TypeError):
            return []
    return calls


def strict_qwen3_xml(text: str, tools: list[ToolSpec]) -> list[ToolCall]:
    if "<tool_call>" not in text:
        return []
    blocks = _XML_BLOCK.findall(text)
    if len(blocks) != text.count("<tool_call>"):
        return []  # a block without all of its closing tags
    types = {t.name: (t.parameters or {}).get("properties", {}) for t in tools}
    calls = []
    for name, body in blocks:
        name = name.strip()
        params = _XML_PARAM.findall(body)
        if re.sub(_XML_PARAM, "", body).strip():
            return []  # stray text or an unclosed <parameter>
        args = {}
        for key, raw in params:
            value = raw[1:] if raw.startswith("\n") else raw
            value = value[:-1] if value.endswith("\n") else value
            args[key.strip()] = _vllm_type(value, types.get(name, {}).get(key.strip(), {}))
        calls.append(ToolCall(name, args))
    return calls


def strict_mistral(text: str, tools: list[ToolSpec]) -> list[ToolCall]:
    if "[TOOL_CALLS]" not in text:
        return []
    parts = text.split("[TOOL_CALLS]")[1:]
    calls = []
    try:
        if len(parts) == 1 and parts[0].lstrip().startswith("["):
            return [ToolCall(c["name"], c["arguments"]) for c in json.loads(parts[0])]
        for part in parts:
            match = _MISTRAL_V11.fullmatch(part.strip())
            if match is None:
                return []
            calls.append(ToolCall(match.group(1), json.loads(match.group(2))))
    except (ValueError, KeyError, TypeError):
        return []
    return calls


def strict_lmstudio(text: str, tools: list[ToolSpec]) -> list[ToolCall]:
    calls = []
    for body in _LMSTUDIO.findall(text):
        try:
            obj = json.loads(body)
            calls.append(ToolCall(obj["name"], obj["arguments"]))
        except (ValueError, KeyError, TypeError):
            return []
    return calls


STRICT = {"hermes": strict_hermes, "qwen3_xml": strict_qwen3_xml, "mistral": strict_mistral, "lmstudio": strict_lmstudio}


def strict_parse(text: str, tools: list[ToolSpec], dialect: str | None) -> list[ToolCall]:
    """The best any strict parser does: the case's own dialect first, then the others."""
    order = sorted(STRICT, key=lambda d: d != dialect)
    for name in order:
        calls = STRICT[name](text, tools)
        if calls:
            return calls
    return []


def _vllm_type(value: str, schema: dict[str, Any]) -> Any:
    kind = str(schema.get("type", "string")).lower()
    if value.lower() == "null":
        return None
    try:
        if kind.startswith(("int", "uint", "long", "short")):
            return int(value)
        if kind.startswith(("num", "float")):
            number = float(value)
            return int(number) if number.is_integer() else number
        if kind.startswith(("bool", "binary")):
            return value.lower() == "true"
        if kind.startswith(("object", "array", "arr", "dict", "list")):
            return json.loads(value)
    except ValueError:
        return value
    return value
