"""Separate reasoning blocks (<think>…</think>, [THINK]…[/THINK]) from the rest of a reply.

Reasoning is not the answer: a call drafted in it (and often rejected there) is never a call.
A closing tag without an opener means the chat template put the opener in the prompt
(Qwen3 thinking models, DeepSeek-R1 distills), so everything before it is reasoning. An opener
that is never closed loses only the tag: the text after it may hold the call. Tags inside a
call's value (a file that mentions </think>) are data: callers pass the spans of the calls read
from the text, and tags inside them are left alone.
"""

from __future__ import annotations

from collections.abc import Sequence

_PAIRS = (("<think>", "</think>"), ("[THINK]", "[/THINK]"), ("<thinking>", "</thinking>"),
          ("<|begin_of_thought|>", "<|end_of_thought|>"))
REASONING_TAGS = tuple(tag for pair in _PAIRS for tag in pair)
_MAX_BLOCKS = 8  # a reply has a block or two; degenerate output has thousands

Span = tuple[int, int]


def split_thinking(text: str, spans: Sequence[Span] = ()) -> tuple[str, str]:
    """Return (text without its reasoning, the reasoning that was removed).

    spans: (start, end) of the calls in `text`; reasoning tags inside them are data.
    """
    cuts: list[tuple[int, int, bool]] = []  # (start, end, is a thought) of text taken out
    for opener, closer in _PAIRS:
        cuts += _blocks(text, opener, closer, spans)
    if not cuts:
        return text, ""
    kept, thoughts, at = [], [], 0
    for start, end, thought in sorted(cuts):
        if end <= at:
            continue  # inside a block already taken out
        start = max(start, at)
        kept.append(text[at:start])
        if thought:
            thoughts.append(_inner(text[start:end]))
        at = end
    kept.append(text[at:])
    return "".join(kept), "\n".join(t for t in thoughts if t)


def _blocks(text: str, opener: str, closer: str, spans: Sequence[Span]) -> list[tuple[int, int, bool]]:
    cuts: list[tuple[int, int, bool]] = []
    pos = 0
    for _ in range(_MAX_BLOCKS):
        close = _find(text, closer, pos, spans)
        if close < 0:
            break
        open_at = _find(text, opener, pos, spans, before=close)
        # A block, or a dangling closer: everything from the last block's end is reasoning.
        cuts.append((open_at if open_at >= 0 else pos, close + len(closer), True))
        pos = close + len(closer)
    for _ in range(_MAX_BLOCKS):  # openers never closed: only the tag goes
        open_at = _find(text, opener, pos, spans)
        if open_at < 0:
            break
        cuts.append((open_at, open_at + len(opener), False))
        pos = open_at + len(opener)
    return cuts


def _find(text: str, tag: str, pos: int, spans: Sequence[Span], before: int | None = None) -> int:
    end = len(text) if before is None else before
    while True:
        at = text.find(tag, pos, end)
        if at < 0:
            return -1
        inside = next((e for s, e in spans if s < at < e), None)
        if inside is None:
            return at
        pos = max(inside, at + 1)


def _inner(block: str) -> str:
    for opener, closer in _PAIRS:
        if block.startswith(opener):
            block = block[len(opener):]
        if block.endswith(closer):
            block = block[: -len(closer)]
    return block.strip()
