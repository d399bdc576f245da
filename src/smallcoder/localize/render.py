"""Show localization candidates to a model: paths and the definitions they hold, in a token budget.

    src/click/termui.py
      101│def prompt(text, default=None, hide_input=False, …
      214│def confirm(text, default=False, abort=False, …
      388│def close(self):  (in LazyFile)
    src/click/core.py (shown below)

One line per definition, as written in the file (the repo map's signature); the best candidate first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from smallcoder.localize.rank import Candidate
from smallcoder.repomap.definitions import Definition
from smallcoder.types import estimate_tokens

SHOWN_NOTE = " (shown below)"


def render_candidates(candidates: Sequence[Candidate], token_budget: int, *,
                      shown: Collection[str] = (),
                      count_tokens: Callable[[str], int] = estimate_tokens) -> tuple[str, int, int]:
    """(text, tokens, candidates listed) for the longest prefix of `candidates` that fits `token_budget`.

    Files in `shown` (already in the prompt in full) get a note instead of their definitions.
    A candidate whose definitions do not fit is listed with as many as fit; ("", 0, 0) when not even
    the first path fits or there are no candidates. Tokens by `count_tokens` (default: the
    characters-per-token estimate of smallcoder.types).
    """
    blocks: list[str] = []
    used = 0
    for c in candidates:
        lines = [c.path + (SHOWN_NOTE if c.path in shown else "")]
        if c.path not in shown:
            lines += [_line(c, d) for d in c.definitions]
        while lines:
            block = "\n".join(lines)
            cost = count_tokens(block + "\n")
            if used + cost <= token_budget:
                break
            lines.pop()
        if not lines:
            break
        blocks.append("\n".join(lines))
        used += count_tokens(blocks[-1] + "\n")
    text = "\n".join(blocks)
    return text, count_tokens(text) if text else 0, len(blocks)


def _line(c: Candidate, d: Definition) -> str:
    owner = f"  (in {c.owners[d.line]})" if d.line in c.owners else ""
    return f"  {d.line}│{c.signatures.get(d.line, '').strip() or d.name}{owner}"
