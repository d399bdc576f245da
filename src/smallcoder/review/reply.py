"""Reading the review model's list of suspected defects: a small JSON array, however a small model wraps it.

What small models actually write around the array (seen with Qwen2.5-Coder 0.5B/1.5B): a ```json
fence, a sentence before or after it, one bare object instead of an array, objects one per line,
Python-style single quotes or True/None, trailing commas, `//` comments, a raw line break inside a
string (a multi-line "code" or "failure"), or plain words ("No defects found.") for an empty answer. All of these are read; a reply is *unparsable* only when it
holds neither a readable array/object nor a plain "nothing found".

    reply = read_list_reply(model_text)
    reply.parsed        # False: nothing could be read (ask again, or count it unparsable)
    reply.findings      # Finding objects (not yet checked against the diff)
    reply.problems      # items that were read but are not findings, with the reason
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from smallcoder.protocol.stream_end import json_object_end
from smallcoder.review.findings import Finding, FindingError

_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*\s*\n?(.*?)```", re.S)
_TRAILING_COMMA = re.compile(r",\s*([\]}])")
_LINE_COMMENT = re.compile(r"(?m)^\s*//.*$|(?<=[,\[{])\s*//[^\n]*")
# Words that mean "I found nothing" when no JSON is given at all.
_NOTHING = re.compile(r"\b(no (real |obvious |apparent )?(defects?|bugs?|issues?|problems?|findings?)|"
                      r"nothing (wrong|to report|found)|looks (correct|good|fine)|is correct|"
                      r"none found|^\s*none\.?\s*$|^\s*done\.?\s*$|^\s*\[\s*\]\s*$)", re.I)
# Keys a small model uses for each field, first match wins.
_ALIASES: dict[str, tuple[str, ...]] = {
    "path": ("file", "path", "filename", "file_path"),
    "line": ("line", "line_number", "lineno", "start_line", "new_line"),
    "quote": ("code", "quote", "line_code", "snippet"),
    "scenario": ("failure", "scenario", "failure_scenario", "problem", "issue", "description", "reason", "bug"),
    "confidence": ("confidence", "certainty", "probability"),
    "severity": ("severity", "level"),
    "category": ("category", "type", "kind"),
    "title": ("title", "summary"),
    "suggestion": ("suggestion", "fix"),
    "check": ("input", "call", "check", "example"),
}


@dataclass
class ListReply:
    """What one reply held. parsed: some JSON (or a plain "nothing") was read. findings: in reply
    order. problems: one line per item that was read but could not be a finding."""

    parsed: bool
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_list_reply(text: str) -> ListReply:
    """Read a reply to the review_list prompt (see module doc for what is tolerated). Never raises."""
    items = _json_items(text)
    if items is None:
        return ListReply(parsed=bool(_NOTHING.search(text.strip())))
    reply = ListReply(parsed=True)
    for item in items:
        if not_a_bug(item):
            continue
        try:
            reply.findings.append(finding_from_item(item))
        except FindingError as e:
            reply.problems.append(str(e))
    return reply


def not_a_bug(item: Any) -> bool:
    """True for an item the model itself marked as no bug (`"bug": false`, "no", "same"): the list
    prompt has it go through every change, so most items are verdicts of "no bug"."""
    if not isinstance(item, dict):
        return False
    old, new = _results(item)
    if old is not None and new is not None and _same(old, new):
        return True
    verdict = next((v for k, v in item.items() if str(k).strip().lower() in ("bug", "is_bug")), None)
    if isinstance(verdict, str):
        return verdict.strip().lower() in ("false", "no", "none", "same", "0", "")
    return verdict is not None and not verdict


def finding_from_item(item: Any) -> Finding:
    """One array item → Finding, through the key aliases above; the title is the scenario's start.

    Raises FindingError (naming the field) for a non-object, no file or no positive line."""
    if not isinstance(item, dict):
        raise FindingError(f"an item of the list is not an object: {str(item)[:60]!r}")
    lowered = {str(k).strip().lower(): v for k, v in item.items()}
    data: dict[str, Any] = {}
    for name, keys in _ALIASES.items():
        for key in keys:
            if lowered.get(key) not in (None, ""):
                data[name] = lowered[key]
                break
    line = data.get("line")
    if isinstance(line, str):  # "15", "L15", "15-17", "line 15"
        numbers = re.findall(r"\d+", line)
        data["line"] = int(numbers[0]) if numbers else 0
        if len(numbers) > 1 and "end_line" not in lowered:
            data["end_line"] = int(numbers[1])
    elif isinstance(line, list) and line:  # [15, 17]
        data["line"], data["end_line"] = line[0], line[-1]
    if "end_line" in lowered:
        data["end_line"] = lowered["end_line"]
    if isinstance(data.get("confidence"), str):
        number = re.findall(r"\d+(?:\.\d+)?", data["confidence"])
        data["confidence"] = float(number[0]) if number else 0.5
    old, new = _results(item)
    if not data.get("scenario") and old is not None and new is not None:
        given = lowered.get("input")
        data["scenario"] = (f"with {given}, " if given not in (None, "") else "") + f"the new code gives {new} instead of {old}"
    scenario = " ".join(str(data.get("scenario", "")).split())
    data["scenario"] = scenario
    data.setdefault("title", scenario[:80])
    data.setdefault("severity", "high")  # the list asks for bugs only: a wrong result or a crash
    if not isinstance(data.get("quote", ""), str):
        data["quote"] = ""
    if not isinstance(data.get("check", ""), str):
        data["check"] = json.dumps(data["check"])
    return Finding.from_json(data)


def _results(item: dict[Any, Any]) -> tuple[str | None, str | None]:
    """The old and new results an item states for its input ("old"/"new" or their aliases), as text."""
    lowered = {str(k).strip().lower(): v for k, v in item.items()}
    def get(*keys: str) -> str | None:
        key = next((k for k in keys if k in lowered), None)
        if key is None:
            return None
        found = lowered[key]  # null is what a Python reader calls None
        return found if isinstance(found, str) else "None" if found is None else json.dumps(found)
    return get("old", "old_result", "before"), get("new", "new_result", "after")


def _same(old: str, new: str) -> bool:
    """Equal results once the quote style, a trailing period and (outside quoted strings, where they are
    the result: `'    ab'` against `'ab    '`, `'AS'` against `'as'`) case and spaces are set aside."""
    def norm(text: str) -> str:
        parts = re.split(r"""("[^"]*"|'[^']*')""", text.strip().rstrip("."))
        return "".join(p[1:-1].join('""') if i % 2 else "".join(p.lower().split()) for i, p in enumerate(parts))
    return norm(old) == norm(new)


def _json_items(text: str) -> list[Any] | None:
    """The answer's items, or None when `text` holds no JSON. Fenced blocks are read first, the last
    one first (a model that reasons before answering puts the answer last); then the whole text."""
    for chunk in [m.group(1) for m in reversed(list(_FENCE.finditer(text)))] + [text]:
        found = _pick(chunk)
        if found is not None:
            return found
    return None


def _pick(text: str) -> list[Any] | None:
    """Among the balanced [...] and {...} in `text` that read as data, the answer: the last array
    holding objects; else the objects found (one per line, or whole ones in an array cut off by the
    token limit); else an empty array. Arrays of plain values (`widths = [0]` in prose) are skipped."""
    arrays: list[list[Any]] = []
    objects: list[Any] = []
    empty = False
    i = 0
    while i < len(text):
        end = json_object_end(text, i, single_quotes=True) if text[i] in "[{" else None
        value = _loads(text[i:end]) if end is not None else None
        if end is not None and isinstance(value, list) and (not value or any(isinstance(v, dict) for v in value)):
            if value:
                arrays.append(value)
            empty = empty or not value
            i = end
        elif end is not None and isinstance(value, dict):
            objects.append(value)
            i = end
        else:
            i += 1
    if arrays:
        return arrays[-1]
    if objects:
        return objects
    return [] if empty else None


def _loads(chunk: str) -> Any:
    """JSON, then JSON without trailing commas and // comments, then a Python literal; None if none reads.
    Raw control characters (a line break) inside strings are read as they stand (strict=False)."""
    cleaned = _TRAILING_COMMA.sub(r"\1", _LINE_COMMENT.sub("", chunk))
    for attempt in (chunk, cleaned):
        try:
            return json.loads(attempt, strict=False)
        except ValueError:
            pass
    pythonish = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", re.sub(r"\bnull\b", "None", cleaned)))
    try:
        return ast.literal_eval(_escape_line_breaks(pythonish))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _escape_line_breaks(text: str) -> str:
    """`text` with each raw line break inside a '...' or "..." string written as an escape, outside
    strings left alone: a Python literal cannot hold one, and a small model copying a line of code
    into a string sometimes ends it with one."""
    out, quote, escaped = [], "", False
    for i, ch in enumerate(text):
        if not quote:
            apostrophe = ch == "'" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
            quote = ch if ch in "'\"" and not apostrophe else ""  # "doesn't" opens no string
        elif escaped:
            escaped = False
        elif ch in "\r\n":
            ch = "\\n" if ch == "\n" else "\\r"
        elif ch == "\\":
            escaped = True
        elif ch == quote:
            quote = ""
        out.append(ch)
    return "".join(out)
