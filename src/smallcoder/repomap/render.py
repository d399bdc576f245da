"""Render ranked definitions as a compact map and fit it to a token budget.

    src/stats.py:
    5│class Box(Base):
    6│    def area(self):
    ⋮
    30│def mean(values):

Files appear in the order of their best definition; inside a file, lines are
in source order with `⋮` where lines are left out. A method brings its class
line along, so the model sees where it lives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from smallcoder import types
from smallcoder.repomap.definitions import FileTags
from smallcoder.repomap.rank import RankedDefinition

CountTokens = Callable[[str], int]
ELISION = "⋮"


def estimate_tokens(text: str) -> int:
    """Tokens of map text when no tokenizer is given (smallcoder.types.CHARS_PER_TOKEN)."""
    return types.estimate_tokens(text)


def render(ranked: Sequence[RankedDefinition], tags: dict[str, FileTags]) -> str:
    """The map of exactly these definitions."""
    parents: dict[str, dict[int, int]] = {}
    by_file: dict[str, set[int]] = {}
    for r in ranked:
        lines = by_file.setdefault(r.path, set())
        lines.add(r.definition.line)
        parent = r.definition.parent
        if parent and r.path not in parents:
            parents[r.path] = {d.line: d.parent for d in tags[r.path].definitions}
        while parent and parent not in lines:  # walk up nested containers
            lines.add(parent)
            parent = parents[r.path].get(parent, 0)
    out: list[str] = []
    for path, lines in by_file.items():
        out.append(f"{path}:")
        shown = tags[path].lines
        prev = 0
        for line in sorted(lines):
            if prev and line > prev + 1:
                out.append(ELISION)
            out.append(f"{line}│{shown.get(line, '')}")
            prev = line
    return "\n".join(out) + "\n" if out else ""


def fit_to_budget(
    ranked: Sequence[RankedDefinition],
    tags: dict[str, FileTags],
    token_budget: int,
    count_tokens: CountTokens = estimate_tokens,
) -> tuple[str, int, int]:
    """(text, tokens, definitions shown): the longest ranked prefix whose map fits the budget."""
    if token_budget <= 0 or not ranked:
        return "", 0, 0
    cache: dict[int, tuple[str, int]] = {}

    def measure(k: int) -> tuple[str, int]:
        if k not in cache:
            text = render(ranked[:k], tags)
            cache[k] = (text, count_tokens(text))
        return cache[k]

    # Every definition line costs at least a few characters, so the answer is
    # below this bound; it keeps an expensive tokenizer off a huge render.
    lo, hi = 0, min(len(ranked), max(16, token_budget * 2))
    if measure(hi)[1] <= token_budget:
        lo = hi
    else:
        while hi - lo > 1:  # invariant: lo fits, hi does not
            mid = (lo + hi) // 2
            if measure(mid)[1] <= token_budget:
                lo = mid
            else:
                hi = mid
    text, tokens = measure(lo) if lo else ("", 0)
    return text, tokens, lo
