"""When to stop the model's reply while it streams, so no second is paid for what is not used.

The loop hands a StreamStop to backends that stream (`Backend.complete(stop=…)`); it sees the
whole text so far after every piece and names a reason to end the stream, which becomes the
completion's `cut`:

    "tool_call"  the first tool call is complete (protocol/stream_end.py): the loop runs one call
                 per reply anyway, and what a small model writes after a call is usually an
                 invented result or a second guess
    "prose"      `prose_chars` of text and still no code block or call: an explanation the fix
                 pipeline has no use for; the loop answers it with its usual correction
    "repeat"     the reply so far is, word for word, the start of an earlier answer in this
                 history, over at least `repeat_min_chars` and `repeat_fraction` of it: the loop
                 drops it and samples again, hotter, instead of paying for the whole repeat (a
                 false alarm costs a resample, never a reset)
    "loop"       the reply is going round in place: its last `loop_lines` lines are one and the same
                 line of at least `loop_min_chars` characters (the 1.5B on tomli wrote "# The file-like
                 object must be open in binary mode." to its reply limit); handled like a repeat

Checks cost little: the call-end scan runs only when a closing marker has just arrived, the
prose check only until code or a call shows up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from smallcoder.protocol.stream_end import first_call_end, has_code_or_call
from smallcoder.types import CHARS_PER_TOKEN

_CLOSERS = ("</tool_call>", "```")  # a call can only have completed when one of these just arrived


@dataclass
class StreamStop:
    """One request's stop rules (see the module docstring); call it with the text so far."""

    dialect: str | None = None
    stop_after_call: bool = True
    prose_chars: int = 0  # 0 = no cap on prose
    earlier: tuple[str, ...] = ()  # earlier answers (stripped) a reply must not repeat; () = no check
    # Half of an earlier answer and at least ~45 tokens: replies of one tool on one file share their opening
    # (~80 characters), a function rewritten twice shares its signature and docstring; a repeat goes further.
    repeat_min_chars: int = 160
    repeat_fraction: float = 0.5
    deadline: float | None = None  # time.perf_counter() value; None = no time limit
    cut_loops: bool = False
    # Code rarely repeats one long line six times running; a table of short ones ("0,", "},") may.
    loop_lines: int = 6
    loop_min_chars: int = 12
    _code_seen: bool = False
    _checked: int = 0  # length of the text at the previous check

    @classmethod
    def build(cls, dialect: str | None, *, stop_after_call: bool, prose_tokens: int,
              earlier: list[str], deadline: float | None = None, cut_loops: bool = False) -> StreamStop:
        """Rules for one request; `prose_tokens` → characters at smallcoder's usual 3.5 a token. Earlier
        answers too short to tell apart early (under `repeat_min_chars`) are left out."""
        texts = tuple(t.strip() for t in earlier if len(t.strip()) >= cls.repeat_min_chars)
        return cls(dialect, stop_after_call, int(prose_tokens * CHARS_PER_TOKEN), texts, deadline=deadline,
                   cut_loops=cut_loops)

    def __call__(self, text: str) -> str:
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            return "time"
        if self.earlier and self._repeats(text):
            return "repeat"
        new = text[max(0, self._checked - 16):]  # what arrived since the last check, and a closer it completed
        self._checked = len(text)
        if self.cut_loops and "\n" in new and self._loops(text):
            return "loop"
        if self.stop_after_call and any(c in new for c in _CLOSERS) and first_call_end(text, self.dialect):
            return "tool_call"
        if self.prose_chars and not self._code_seen:
            self._code_seen = has_code_or_call(text)
            if not self._code_seen and len(text) >= self.prose_chars:
                return "prose"
        return ""

    def _loops(self, text: str) -> bool:
        lines = text.split("\n")[:-1]  # complete lines only
        if len(lines) < self.loop_lines:
            return False
        last = lines[-self.loop_lines:]
        line = last[0].strip()
        return len(line) >= self.loop_min_chars and all(other.strip() == line for other in last[1:])

    def _repeats(self, text: str) -> bool:
        reply = text.lstrip()
        for answer in self.earlier:
            need = min(len(answer), max(self.repeat_min_chars, int(self.repeat_fraction * len(answer))))
            if len(reply) >= need and answer.startswith(reply[:len(answer)]):
                return True
        return False
