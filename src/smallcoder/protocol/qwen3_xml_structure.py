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
  - after the call there are no more `</parameter>` than `<parameter` tags, nor more
    `</function>` than `<function=` (a closer left over means a value was ended too early).
A value without its `</parameter>` (small models drop it) ends at the next `<parameter=`,
`</function>`, call or the end, and only if it holds no `</parameter>` at all. The format has no
escaping, so one thing stays ambiguous and is read as two parameters: a value holding
`</parameter>` + whitespace + `<parameter=NAME>` for a NAME not given elsewhere in the call.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator

_PARAM_OPEN = re.compile(r"<parameter\s*=\s*([^>\n/]*?)\s*(/)?>")
_PARAM_CLOSE = "</parameter>"
_FUNC_CLOSE = "</function>"
_WRAP_CLOSE = re.compile(r"\s*</tool_call>")
_STRUCTURAL = re.compile(r"<parameter\s*=|</function>|</tool_call>|<tool_call>|<function\s*=")
_CALL_END = re.compile(r"</tool_call>|<tool_call>|<function\s*=")
_TAGS = {
    "param_open": re.compile(r"<parameter[\s=>/]"), "param_close": re.compile(r"</parameter>"),
    "function_open": re.compile(r"<function\s*="), "function_close": re.compile(r"</function>"),
}
_UNCLOSED_END = re.compile(r"<parameter\s*=|</function>|</tool_call>|<tool_call>|<function\s*=")
_NAMELESS = re.compile(r"<parameter\s*>")
_MAX_STEPS = 4_000  # bounds the search on degenerate output; the plain reader takes over past it

Args = dict[str, str]


def read_structured(text: str, at: int) -> tuple[Args, int] | None:
    """Parameters of the call whose body starts at text[at], and the index just after the call.

    Returns None when no reading holds (nameless <parameter> tags, prose between parameters, …):
    the caller then falls back to its tolerant reader.
    """
    if _NAMELESS.search(text, at):
        return None  # <parameter>NAME</parameter>VALUE: the small-model shape the tolerant reader knows
    search = _Search(text, at)
    for got, end in search.readings(at, ()):
        return dict(got), end
    return None


Got = tuple[tuple[str, str], ...]


class _Search:
    def __init__(self, text: str, at: int) -> None:
        self.text, self.steps = text, 0
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
        for value_end, resume in self._value_ends(start):
            yield from self.readings(resume, (*got, (name, _strip_one_newline(text[start:value_end]))))
            if self.steps > _MAX_STEPS:
                return

    def _value_ends(self, start: int) -> list[tuple[int, int]]:
        """Where the value starting at `start` may end, earliest first: (end of the value, where
        reading goes on). A value may lack its </parameter> only if it holds none at all."""
        text, ends = self.text, []
        closes = self.tags["param_close"][bisect_left(self.tags["param_close"], start):]
        for close in closes:
            after = _skip_space(text, close + len(_PARAM_CLOSE))
            if after >= len(text) or _STRUCTURAL.match(text, after):
                ends.append((close, close + len(_PARAM_CLOSE)))
        first_close = closes[0] if closes else len(text)
        for m in _UNCLOSED_END.finditer(text, start, first_close):
            ends.append((m.start(), m.start()))
        if not closes:
            ends.append((len(text), len(text)))
        return sorted(set(ends))

    def _finish(self, end: int, got: Got) -> Iterator[tuple[Got, int]]:
        wrapper = _WRAP_CLOSE.match(self.text, end)
        end = wrapper.end() if wrapper else end
        # More closers than openers after the call: some value above was ended too early.
        if self._after(end, "param_close") > self._after(end, "param_open"):
            return
        if self._after(end, "function_close") > self._after(end, "function_open"):
            return
        yield got, end

    def _after(self, pos: int, tag: str) -> int:
        positions = self.tags[tag]
        return len(positions) - bisect_left(positions, pos)


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
