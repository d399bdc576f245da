"""Read one Qwen3-Coder XML call by its structure, so that tags inside values stay data.

Qwen3-Coder writes parameter values raw, without escaping (the chat template renders them with
`|string`), so a value may contain `</parameter>`, `<function=…>` or a whole example
`<tool_call>`: an XML fixture, a test of a tool-call parser, a docstring. A reader that ends a
value at the first `</parameter>` (vLLM's and llama.cpp's regexes do) cuts such a value short
and may turn the example inside it into a call.

Here a value ends only at a `</parameter>` followed (after whitespace) by the next
`<parameter=`, `</function>`, `</tool_call>`, a new call or the end of the text, and of the
readings the first (values as short as they can be) is taken that holds as a whole:
  - every parameter name is given once;
  - between the call and the next `<function=` there are no more `</parameter>` than
    `<parameter` tags, and no `</function>` (a closer left over means a value ended too early).
Readings in which every value has its `</parameter>` come first. A value without one (small
models drop it) ends at the next `<parameter=`, `</function>`, call or the end, and only if it
holds no `</parameter>` at all. The format has no escaping, so two shapes stay ambiguous and are
read as structure: a value holding `<parameter=NAME>` for a parameter of the same tool not given
before it (read as that parameter, its `</parameter>` missing), and a `</parameter>` that closes
no `<parameter` of its own value and is directly followed by another tag (read as the value's end).
A value holding a `<parameter` opener it never closes is read right most of the time, not always: its
own `</parameter>` then looks like that opener's close, and an example call after it can end it early.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator

_PARAM_OPEN = re.compile(r"<parameter\s*=\s*([^>\n/]*?)\s*(/)?>")
_PARAM_CLOSE = "</parameter>"
_FUNC_CLOSE = "</function>"
_WRAP_CLOSE = re.compile(r"\s*</tool_call>")
_STRUCTURAL = re.compile(r"<parameter\s*[=>]|</function>|</tool_call>|<tool_call>|<function\s*=")
_CALL_END = re.compile(r"</tool_call>|<tool_call>|<function\s*=")
_TAGS = {
    "param_open": re.compile(r"<parameter[\s=>/]"), "param_close": re.compile(r"</parameter>"),
    "function_open": re.compile(r"<function\s*="), "function_close": re.compile(r"</function>"),
}
_UNCLOSED_END = re.compile(r"<parameter\s*=|</function>|</tool_call>|<tool_call>|<function\s*=")
_MAX_STEPS = 4_000  # bounds the search on degenerate output; the plain reader takes over past it

Args = dict[str, str]


def read_structured(text: str, at: int, names: list[str] | None = None) -> tuple[Args, int] | None:
    """Parameters of the call whose body starts at text[at], and the index just after the call.

    names: the tool's parameter names, when the tool is known. Returns None when no reading holds
    (nameless <parameter> tags, prose between parameters, …): the caller then falls back to its
    tolerant reader.
    """
    for allow_unclosed in (False, True):  # readings whose values all have their </parameter> first
        search = _Search(text, at, names or [], allow_unclosed)
        for got, end in search.readings(at, ()):
            return dict(got), end
        if search.steps > _MAX_STEPS:
            break
    return None


Got = tuple[tuple[str, str], ...]


class _Search:
    def __init__(self, text: str, at: int, names: list[str], allow_unclosed: bool) -> None:
        self.text, self.names, self.allow_unclosed, self.steps = text, set(names), allow_unclosed, 0
        self.tags = {name: [m.start() for m in pattern.finditer(text, at)] for name, pattern in _TAGS.items()}

    def readings(self, pos: int, got: Got) -> Iterator[tuple[Got, int]]:
        """Every reading of the parameters from `pos` to the end of the call, in order."""
        self.steps += 1
        if self.steps > _MAX_STEPS:
            return
        text = self.text
        pos = _skip_space(text, pos)
        if text.startswith(_FUNC_CLOSE, pos):
            yield from self._finish(pos + len(_FUNC_CLOSE), got)
            return
        if pos >= len(text) or _CALL_END.match(text, pos):
            yield from self._finish(pos, got)  # no </function>: the call ends where the next begins
            return
        opener = _PARAM_OPEN.match(text, pos)
        if opener is None:
            return  # prose or nameless tags between parameters: not this reader's shape
        name = opener.group(1).strip().strip("\"'`").strip()
        if not name or name in dict(got):
            return
        if opener.group(2):  # <parameter=x/>: given, without a value
            yield from self.readings(opener.end(), (*got, (name, "")))
            return
        start = opener.end()
        for value_end, resume in self._value_ends(start, {n for n, _ in got} | {name}):
            yield from self.readings(resume, (*got, (name, _strip_one_newline(text[start:value_end]))))
            if self.steps > _MAX_STEPS:
                return

    def _value_ends(self, start: int, given: set[str]) -> list[tuple[int, int]]:
        """Where the value starting at `start` may end, earliest first: (end of the value, where
        reading goes on). No value reaches past a <parameter=NAME> of the tool's own parameters not
        given yet (small models drop </parameter>: that is the next parameter), nor past a
        </parameter> that closes no <parameter inside it and is followed by a tag (that one ends it,
        or the reading fails: small models' nameless <parameter> tags go to the tolerant reader).
        A value may lack its </parameter> only if it holds none at all."""
        text, ends = self.text, []
        stop = len(text)
        for m in _PARAM_OPEN.finditer(text, start):
            if m.group(1).strip().strip("\"'`").strip() in self.names - given:
                stop = m.start()
                break
        closes = self.tags["param_close"][bisect_left(self.tags["param_close"], start):]
        opens = self.tags["param_open"][bisect_left(self.tags["param_open"], start):]
        depth, k = 0, 0
        matched: list[tuple[int, int]] = []  # ends at a closer that may close a <parameter inside the value
        for close in closes:
            if close >= stop:
                break
            while k < len(opens) and opens[k] < close:
                depth, k = depth + 1, k + 1
            after = _skip_space(text, close + len(_PARAM_CLOSE))
            structural = after >= len(text) or _STRUCTURAL.match(text, after) is not None
            if depth:
                depth -= 1  # most likely closes a <parameter inside the value: tried after the others
                if structural:
                    matched.append((close, close + len(_PARAM_CLOSE)))
            elif structural:
                ends.append((close, close + len(_PARAM_CLOSE)))
                break  # an unmatched closer before a tag: no value reaches past it
        if self.allow_unclosed:
            limit = min(closes[0] if closes else len(text), stop)
            for m in _UNCLOSED_END.finditer(text, start):
                if m.start() > limit:
                    break
                ends.append((m.start(), m.start()))
            if not closes and stop == len(text):
                ends.append((len(text), len(text)))
        return sorted(set(ends)) + [e for e in matched if e not in ends]

    def _finish(self, end: int, got: Got) -> Iterator[tuple[Got, int]]:
        wrapper = _WRAP_CLOSE.match(self.text, end)
        end = wrapper.end() if wrapper else end
        # More closers than openers between the call and the next one: a value above ended too early.
        following = self.tags["function_open"][bisect_left(self.tags["function_open"], end):]
        rest = following[0] if following else len(self.text)
        if self._count(end, rest, "param_close") > self._count(end, rest, "param_open"):
            return
        if self._count(end, rest, "function_close") > 0:
            return
        yield got, end

    def _count(self, lo: int, hi: int, tag: str) -> int:
        positions = self.tags[tag]
        return bisect_left(positions, hi) - bisect_left(positions, lo)


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _strip_one_newline(value: str) -> str:
    if value.startswith("\n"):
        value = value[1:]
    if value.endswith("\n"):
        value = value[:-1]
    return value
