"""JSON as small models write it: strict first, then a forgiving recursive-descent reader.

Repairs: trailing or missing commas, single quotes, unquoted keys, Python literals
(True/False/None), Python's triple-quoted strings (three double or single quotes around a value:
the 1.5B's way of writing code into a call), raw newlines and tabs inside strings, stray quotes inside strings,
// /* */ and # comments, unterminated strings and missing closing braces at the end.
Stdlib only. Every failure is a LenientJSONError (a ValueError) with a position.
"""

from __future__ import annotations

import json
import re
from typing import Any

_DECODER = json.JSONDecoder()
_MAX_DEPTH = 100
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_WORD = re.compile(r"[A-Za-z_$][\w$.\-]*")
_BARE_TEXT = re.compile(r"[^,}\]\n]*")
_BARE_KEY = re.compile(r"[\w$.\-]+")
_LITERALS: dict[str, Any] = {
    "true": True, "false": False, "null": None,
    "True": True, "False": False, "None": None,
    "undefined": None, "NaN": float("nan"), "Infinity": float("inf"),
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\", '"': '"', "'": "'"}
# After a closing quote of an object value: end of object, or a comma/no comma and then the next key.
_NEXT_KEY = re.compile(r"\s*,?\s*(?:[\"'][^\"'\n]{0,200}[\"']\s*:|[A-Za-z_]\w*\s*:)|\s*,?\s*[}\]]|\s*,?\s*$")


class LenientJSONError(ValueError):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(f"{message} at char {pos}")
        self.reason = message
        self.pos = pos


def loads(text: str) -> Any:
    """Parse text holding exactly one JSON-ish value (surrounding whitespace allowed)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    reader = _Reader(text, 0, len(text))
    value, _ = reader.read_top()
    reader.skip()
    if reader.i < len(text):
        raise LenientJSONError("unexpected text after the JSON value", reader.i)
    return value


def decode_at(text: str, start: int, end: int | None = None) -> tuple[Any, int]:
    """Read one JSON-ish value beginning at text[start]; return it and the index just after it.

    A strict decode is tried first, unbounded, so well-formed JSON is read exactly even when
    a string inside it contains markers such as </tool_call>. The lenient reader stops at `end`.
    """
    try:
        return _DECODER.raw_decode(text, start)
    except (ValueError, RecursionError):
        pass
    return _Reader(text, start, len(text) if end is None else end).read_top()


def decode_closed_at(text: str, start: int, end: int) -> tuple[Any, int]:
    """Like decode_at, bounded by `end`, but only a value that closes before `end` counts: one the
    reader had to close itself (an unterminated string, a missing brace) raises LenientJSONError.
    Lets a caller try several ends, e.g. each </tool_call> in turn when an earlier one is text
    inside a string."""
    try:
        value, stop = _DECODER.raw_decode(text[:end], start)
        return value, stop
    except (ValueError, RecursionError):
        pass
    reader = _Reader(text, start, end)
    value, stop = reader.read_top()
    if reader.truncated:
        raise LenientJSONError("the value does not close before the end", stop)
    return value, stop


def _skip_space(s: str, i: int, n: int) -> int:
    while i < n and s[i] in " \t\r\n\ufeff":
        i += 1
    return i


class _Reader:
    def __init__(self, s: str, start: int, end: int) -> None:
        self.s, self.i, self.n, self.depth = s, start, end, 0
        self.truncated = False  # the end came inside a string, object or array

    def read_top(self) -> tuple[Any, int]:
        value = self.value("top")
        return value, self.i

    def error(self, message: str) -> LenientJSONError:
        return LenientJSONError(message, self.i)

    def skip(self) -> None:
        s, n = self.s, self.n
        while self.i < n:
            c = s[self.i]
            if c in " \t\r\n\ufeff":
                self.i += 1
            elif s.startswith("//", self.i) or c == "#":
                nl = s.find("\n", self.i, n)
                self.i = n if nl < 0 else nl + 1
            elif s.startswith("/*", self.i):
                close = s.find("*/", self.i + 2, n)
                self.i = n if close < 0 else close + 2
            else:
                return

    def value(self, ctx: str) -> Any:
        self.skip()
        if self.i >= self.n:
            raise self.error("unexpected end of JSON")
        c = self.s[self.i]
        if c in "{[":
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise self.error("JSON nested too deeply")
            result = self.object() if c == "{" else self.array()
            self.depth -= 1
            return result
        if c in "\"'":
            return self.string(ctx)
        word = _WORD.match(self.s, self.i, self.n)
        if word:
            if word.group() in _LITERALS:
                self.i = word.end()
                return _LITERALS[word.group()]
            if ctx in ("value", "item"):
                return self.bare_text()
            raise self.error(f"unexpected word {word.group()!r}")
        number = _NUMBER.match(self.s, self.i, self.n)
        if number:
            self.i = number.end()
            text = number.group().lstrip("+")
            try:
                return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
            except ValueError:
                raise self.error(f"bad number {text!r}") from None
        raise self.error(f"unexpected character {c!r}")

    def bare_text(self) -> str:
        # An unquoted value such as {"command": ls -la}: take it up to the next delimiter.
        m = _BARE_TEXT.match(self.s, self.i, self.n)
        assert m is not None  # the pattern matches the empty string
        self.i = m.end()
        return m.group().strip()

    def object(self) -> dict[str, Any]:
        s, out = self.s, {}  # type: tuple[str, dict[str, Any]]
        self.i += 1
        while True:
            self.skip()
            if self.i >= self.n:
                self.truncated = True
                return out  # missing closing brace at the end of the output
            c = s[self.i]
            if c == "}":
                self.i += 1
                return out
            if c == ",":
                self.i += 1
                continue
            key = self.key()
            self.skip()
            if self.i >= self.n:
                self.truncated = True
                return out
            if s[self.i] not in ":=":
                raise self.error(f"expected ':' after key {key!r}")
            self.i += 1
            self.skip()
            if self.i >= self.n:
                self.truncated = True
                return out
            out[key] = self.value("value")
            self.skip()
            if self.i < self.n and s[self.i] not in ",}\"'" and not _WORD.match(s, self.i, self.n):
                raise self.error("expected ',' or '}' after a value")

    def key(self) -> str:
        c = self.s[self.i]
        if c in "\"'":
            return self.string("key")
        m = _BARE_KEY.match(self.s, self.i, self.n)
        if not m:
            raise self.error(f"expected a key, found {c!r}")
        self.i = m.end()
        return m.group()

    def array(self) -> list[Any]:
        s, out = self.s, []  # type: tuple[str, list[Any]]
        self.i += 1
        while True:
            self.skip()
            if self.i >= self.n:
                self.truncated = True
                return out
            c = s[self.i]
            if c == "]":
                self.i += 1
                return out
            if c == ",":
                self.i += 1
                continue
            out.append(self.value("item"))
            self.skip()
            if self.i < self.n and s[self.i] not in ",]":
                if s[self.i] in "}":  # a stray brace where the array should close
                    self.i += 1
                    return out
                c = s[self.i]
                starts_value = c in "\"'{[" or _WORD.match(s, self.i, self.n) or _NUMBER.match(s, self.i, self.n)
                if not starts_value:  # a missing comma between items is fine, anything else is not
                    raise self.error("expected ',' or ']' after an item")

    def string(self, ctx: str) -> str:
        s, n = self.s, self.n
        quote = s[self.i]
        triple = s[self.i : self.i + 3]
        if triple in ('"""', "'''"):
            close = s.find(triple, self.i + 3, n)
            if close >= 0:  # Python's triple-quoted string: everything up to the same three quotes
                raw, self.i = s[self.i + 3 : close], close + 3
                return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[0]), raw, flags=re.DOTALL)
        self.i += 1
        buf: list[str] = []
        stray = 0  # unescaped quotes kept inside the string
        while self.i < n:
            c = s[self.i]
            if c == "\\":
                self.i += 1
                if self.i >= n:
                    break
                buf.append(self.escape())
            elif c == quote and self.closes(self.i + 1, ctx):
                self.i += 1
                if quote == '"' and stray % 2 == 1:
                    buf.append('"')  # echo "<missing>", : the last quote closed both
                return "".join(buf)
            else:
                stray += c == quote
                buf.append(c)
                self.i += 1
        self.truncated = True
        return "".join(buf)  # unterminated string at the end of the output

    def escape(self) -> str:
        s, e = self.s, self.s[self.i]
        if e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", s[self.i + 1 : self.i + 5]):
            code = int(s[self.i + 1 : self.i + 5], 16)
            self.i += 5
            low = s[self.i + 2 : self.i + 6]
            pair = s.startswith("\\u", self.i) and re.fullmatch(r"[dD][c-fC-F][0-9a-fA-F]{2}", low)
            if 0xD800 <= code < 0xDC00 and pair:
                self.i += 6
                return chr(0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00))
            return chr(code)
        self.i += 1
        # An unknown escape such as \d in a regex: keep the backslash, as the model meant it.
        return _ESCAPES.get(e, "\\" + e)

    def closes(self, j: int, ctx: str) -> bool:
        """Is the quote before s[j] the end of the string, or a stray quote inside it?"""
        k = _skip_space(self.s, j, self.n)
        if k >= self.n or ctx == "top":
            return True
        c = self.s[k]
        if ctx == "key":
            return True  # keys hold no quotes; a missing ':' is reported by the caller
        if ctx == "item":
            return c in ",]}"
        return _NEXT_KEY.match(self.s, j, self.n) is not None
