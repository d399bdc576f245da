"""Indentation units: find a text's unit (a tab, or N spaces) and move lines from one unit to another.

Models see a tab as spaces and write their edits with spaces (most often 4), whatever the file
uses. An edit into a tab-indented file must then be written with tabs at every level, including
levels deeper than anything in the text it replaces; an edit written with 2-space steps into a
4-space file must be written with 4-space steps. Levels are counted in the writer's unit and
rewritten in the file's; spaces left over after the last whole level (continuation lines aligned
under a bracket) stay as they are.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

TAB = "\t"
DEFAULT_UNIT = "    "


def lead(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def indent_unit(lines: Iterable[str], default: str = DEFAULT_UNIT) -> str:
    """The unit `lines` indent with: TAB when most indented lines start with a tab, else the most
    common step by which successive lines indent deeper (2 to 8 spaces), else `default`."""
    leads = [lead(x) for x in lines if x.strip()]
    tabbed = sum(x.startswith(TAB) for x in leads)
    spaced = sum(x.startswith(" ") for x in leads)
    if tabbed and tabbed >= spaced:
        return TAB
    steps: Counter[int] = Counter()
    open_blocks = [0]  # widths of the enclosing lines, as Python's tokenizer keeps them
    for text in leads:
        if TAB in text:
            continue
        while len(text) < open_blocks[-1]:
            open_blocks.pop()
        if len(text) > open_blocks[-1]:
            if 2 <= len(text) - open_blocks[-1] <= 8:
                steps[len(text) - open_blocks[-1]] += 1
            open_blocks.append(len(text))
    if not steps:
        return default
    # 8 then 4 (a block inside a block) is a 4-space unit; 4 with a few 7s (aligned continuation
    # lines) is still a 4-space unit: the common divisor when it is a real step, else the most
    # common step, even widths (and 4 above all) first on a tie.
    divisor = math.gcd(*steps)
    if divisor >= 2:
        return " " * divisor
    return " " * max(steps, key=lambda k: (steps[k], k % 2 == 0, k == 4))


def level_of(text: str, unit: str) -> tuple[int, str]:
    """(whole levels, leftover spaces) of an indentation `text` read in `unit`; a tab is one level
    whatever the unit, and spaces count in the unit's width (4 when the unit is a tab)."""
    width = len(unit) if unit != TAB else len(DEFAULT_UNIT)
    levels, spaces = 0, 0
    for ch in text:
        if ch == TAB:
            levels += 1 + spaces // width  # spaces before a tab are taken into its level
            spaces = 0
        else:
            spaces += 1
    return levels + spaces // width, " " * (spaces % width)


def convert(lines: list[str], src_unit: str, dst_unit: str, shift: int = 0) -> list[str]:
    """`lines` with each indentation read in `src_unit` and written in `dst_unit`, moved by `shift`
    levels (never below zero). Blank lines become empty."""
    out = []
    for line in lines:
        if not line.strip():
            out.append("")
            continue
        levels, rest = level_of(lead(line), src_unit)
        out.append(dst_unit * max(0, levels + shift) + rest + line.lstrip(" \t"))
    return out

