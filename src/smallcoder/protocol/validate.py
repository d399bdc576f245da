"""Turn candidates into ToolCalls: resolve the tool name, decode and coerce the arguments.

Every problem becomes one message per call, starting with the tool name when it is known
("read_file: missing required argument 'path'"), so the correction can name the tool.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from typing import Any

from smallcoder.protocol import lenient_json
from smallcoder.protocol.coerce import coerce_object
from smallcoder.protocol.result import Candidate
from smallcoder.types import ToolCall, ToolSpec

_PREFIXES = ("functions.", "function.", "tools.", "tool.", "default_api.")


def validate(cands: list[Candidate], tools: list[ToolSpec]) -> tuple[list[ToolCall], list[str]]:
    by_name = {t.name: t for t in tools}
    calls: list[ToolCall] = []
    errors: list[str] = []
    for index, cand in enumerate(cands):
        outcome = _one(cand, by_name, index)
        if isinstance(outcome, ToolCall):
            calls.append(outcome)
        else:
            errors.append(outcome)
    return calls, errors


def resolve_name(name: str, names: list[str]) -> tuple[str | None, str | None]:
    """The known tool a model meant, or an error naming the nearest known tool."""
    clean = name.strip().strip("\"'`").strip()
    if clean in names:
        return clean, None
    forms = [clean] + [clean[len(p):] for p in _PREFIXES if clean.lower().startswith(p)]
    for form in forms:
        hits = [n for n in names if _norm(n) == _norm(form)]
        if len(hits) == 1:
            return hits[0], None
    close = difflib.get_close_matches(clean, names, n=1, cutoff=0.6)
    return None, _unknown(clean, close[0] if close else None, names)


def _unknown(name: str, hint: str | None, names: list[str]) -> str:
    guess = f" (did you mean '{hint}'?)" if hint else ""
    return f"unknown tool '{_short(name)}'{guess}. Available tools: {', '.join(names)}"


def _tool_by_arguments(args: Any, by_name: dict[str, ToolSpec]) -> str | None:
    # {"name": "src/calc.py", "arguments": {"path": …}}: the arguments still say which tool.
    if not isinstance(args, dict) or not args:
        return None
    fits = []
    for tool in by_name.values():
        schema = tool.parameters or {}
        props = set((schema.get("properties") or {}).keys())
        if set(args) <= props and set(schema.get("required") or []) <= set(args):
            fits.append(tool.name)
    return fits[0] if len(fits) == 1 else None


def _one(cand: Candidate, by_name: dict[str, ToolSpec], index: int) -> ToolCall | str:
    names = list(by_name)
    name = cand.name.strip() if isinstance(cand.name, str) else ""
    if name and names:
        resolved, problem = resolve_name(name, names)
        if resolved is None:
            if problem and "did you mean" not in problem and (hint := _tool_by_arguments(cand.arguments, by_name)):
                return _unknown(name.strip(), hint, names)
            return problem or f"unknown tool '{name}'"
        name = resolved
    if cand.error:
        return f"{name}: {cand.error}" if name else cand.error
    if not name:
        return 'a tool call has no tool name (expected {"name": "<tool>", "arguments": {…}})'
    args = cand.arguments
    if args is None:
        args = {}
    if isinstance(args, str):
        args = _decode_string_arguments(args)
        if isinstance(args, str):
            return f"{name}: {args}"
    if not isinstance(args, dict):
        return f"{name}: arguments must be a JSON object, got {type(args).__name__}"
    spec = by_name.get(name)
    if spec is None:
        return ToolCall(name=name, arguments=args, id=cand.id or _call_id(index, name, args))
    out, problems = coerce_object(args, spec.parameters or {}, raw=cand.raw_values)
    if problems:
        return f"{name}: " + "; ".join(problems)
    return ToolCall(name=name, arguments=out, id=str(cand.id) if cand.id else _call_id(index, name, out))


def _decode_string_arguments(text: str) -> dict[str, Any] | str:
    # "arguments": "{\"path\": \"a.py\"}" — the OpenAI wire form, or a model imitating it.
    if not text.strip():
        return {}
    try:
        value = lenient_json.loads(text)
    except ValueError as exc:
        return f"arguments are a string that is not valid JSON ({exc})"
    return value if isinstance(value, dict) else f"arguments must be a JSON object, got {type(value).__name__}"


def _call_id(index: int, name: str, args: dict[str, Any]) -> str:
    # Deterministic, so replays match; 9 alphanumerics, the id shape Mistral requires.
    payload = json.dumps([index, name, args], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha1(payload.encode("utf-8", "replace")).hexdigest()[:9]


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", name).lower()


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
