"""Find the one place an edit applies, tolerating the drift small models produce.

Layers, tried in order; the first layer that finds anything decides:
  1. exact text;
  2. whole lines, ignoring trailing whitespace;
  3. whole lines, ignoring indentation (`new` is re-indented to fit the file);
  4. non-blank lines, ignoring blank lines inside and around `old`.
If nothing matches and `old` was copied with read_file's line numbers, they are
stripped and the layers run again. Pure functions on text; no I/O.

The new lines keep the file's conventions: indentation in the file's unit at every level
(tabs stay tabs, also for levels deeper than anything in `old`; indentation.py), and the line
ending of the lines they replace (a CRLF region of a mixed file stays CRLF), so a diff shows only
the lines that changed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from smallcoder.tools.indentation import TAB, convert, indent_unit, lead, level_of


@dataclass
class Edit:
    text: str  # the whole new text
    first: int  # 0-based index of the first changed line in `text`
    last: int  # 0-based index of the last changed line in `text` (>= first)
    how: str  # "" for an exact match, else what was tolerated


class NotFound(Exception):
    def __init__(self, closest: tuple[int, int, float] | None) -> None:
        super().__init__("not found")
        self.closest = closest  # (first, last) 0-based line indices of the most similar region, and its similarity


class Ambiguous(Exception):
    def __init__(self, lines: list[int], how: str) -> None:
        super().__init__("ambiguous")
        self.lines = lines  # 1-based line numbers where the matches start
        self.how = how


_NUMBERED = re.compile(r"^\s*\d+\| ?")


def apply_edit(text: str, old: str, new: str) -> Edit:
    """Replace the single occurrence of `old` in `text` with `new`; NotFound or Ambiguous otherwise."""
    try:
        return _apply(text, old, new)
    except NotFound:
        stripped = _strip_numbers(old)
        if stripped is None:
            raise
        new_stripped = _strip_numbers(new)
        try:
            edit = _apply(text, stripped, new if new_stripped is None else new_stripped)
        except NotFound:
            raise NotFound(closest_region(text, stripped)) from None
        edit.how = "after removing line numbers" + (f", {edit.how}" if edit.how else "")
        return edit


def _apply(text: str, old: str, new: str) -> Edit:
    spots = _find_all(text, old)
    if len(spots) == 1:
        pos = spots[0]
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos + len(old))
        if line_end > 0 and text[line_end - 1] == "\r" and "\r\n" not in new:
            new = new.replace("\n", "\r\n")  # a CRLF line of a mixed file: its new lines are CRLF too
        result = text[:pos] + new + text[pos + len(old) :]
        first = text.count("\n", 0, pos)
        last = first + max(0, new.count("\n") - (1 if new.endswith("\n") else 0))
        result = _in_file_unit(result, first, last, text, from_line_start=pos == line_start)
        return Edit(result, first, last, "")
    if spots:
        raise Ambiguous([text.count("\n", 0, p) + 1 for p in spots], "")

    final_nl = text.endswith("\n")
    body = text.split("\n")
    if final_nl:
        body.pop()
    old_lines, new_lines = _lines(old), _lines(new)
    layers: list[tuple[str, Callable[[list[str], list[str]], list[tuple[int, int, list[str]]]]]] = [
        ("ignoring trailing whitespace", lambda b, o: _windows(b, o, str.rstrip)),
        ("ignoring indentation", lambda b, o: _windows(b, o, str.strip)),
        ("ignoring blank lines", _nonblank_windows),
    ]
    for how, find in layers:
        found = find(body, old_lines)
        if len(found) > 1:
            raise Ambiguous([start + 1 for start, _, _ in found], how)
        if found:
            start, end, matched = found[0]
            replacement = _trim_blank_edges(new_lines, old_lines) if how == "ignoring blank lines" else new_lines
            unit = indent_unit(body)
            if how != "ignoring trailing whitespace":
                replacement = _reindent(replacement, old_lines, matched, unit)
            replacement = [_one_unit(x, unit, new_lines) for x in replacement]
            replacement = _with_endings(replacement, matched)
            lines = body[:start] + replacement + body[end:]
            result = "\n".join(lines) + ("\n" if final_nl and lines else "")
            last = start + max(0, len(replacement) - 1)
            return Edit(result, start, last, how)
    raise NotFound(closest_region(text, old))


def _in_file_unit(result: str, first: int, last: int, before: str, from_line_start: bool) -> str:
    """An exact match leaves `new` as written: its lines that indent with the other kind of
    whitespace than the file (spaces in a tab file) are moved to the file's unit."""
    lines = result.split("\n")
    unit = indent_unit(before.split("\n"))
    new_lines = lines[first : last + 1]
    for i in range(first if from_line_start else first + 1, min(last + 1, len(lines))):
        lines[i] = _one_unit(lines[i], unit, new_lines)
    return "\n".join(lines)


def _one_unit(line: str, unit: str, written: list[str]) -> str:
    """`line` in the file's `unit` when its indentation starts with the other kind of whitespace."""
    text = lead(line)
    if not text or not (text.startswith(" ") if unit == TAB else TAB in text):
        return line
    spaced = [x for x in written if lead(x).startswith(" ")]
    src = indent_unit(spaced) if unit == TAB else unit
    return convert([line], src, unit)[0]


def _with_endings(replacement: list[str], matched: list[str]) -> list[str]:
    """Each new line ends like the line it replaces (the last replaced line's ending for extra lines)."""
    if not matched or not any(x.endswith("\r") for x in matched):
        return replacement
    out = []
    for i, line in enumerate(replacement):
        crlf = matched[min(i, len(matched) - 1)].endswith("\r")
        out.append(line.rstrip("\r") + ("\r" if crlf else ""))
    return out


def _find_all(text: str, old: str) -> list[int]:
    spots, pos = [], text.find(old)
    while pos != -1:
        spots.append(pos)
        pos = text.find(old, pos + 1)
    return spots


def _lines(s: str) -> list[str]:
    lines = s.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()  # a trailing newline ends the last line; it is not an extra line
    return lines


def _windows(body: list[str], old: list[str], key: Callable[[str], str]) -> list[tuple[int, int, list[str]]]:
    """(start, end, matched lines) of every run of body lines equal to old under `key`."""
    want = [key(x) for x in old]
    if not any(want):
        return []
    keys = [key(x) for x in body]
    n = len(want)
    return [(i, i + n, body[i : i + n]) for i in range(len(keys) - n + 1) if keys[i : i + n] == want]


def _nonblank_windows(body: list[str], old: list[str]) -> list[tuple[int, int, list[str]]]:
    want = [x.strip() for x in old if x.strip()]
    if not want:
        return []
    idx = [i for i, x in enumerate(body) if x.strip()]
    keys = [body[i].strip() for i in idx]
    n, found = len(want), []
    for j in range(len(keys) - n + 1):
        if keys[j : j + n] == want:
            start, end = idx[j], idx[j + n - 1] + 1
            found.append((start, end, body[start:end]))
    return found


def _trim_blank_edges(new: list[str], old: list[str]) -> list[str]:
    """Drop from `new` the blank lines at its edges that `old` also had (they were not matched)."""
    lead = min(_count_blank(old), _count_blank(new))
    trail = min(_count_blank(old[::-1]), _count_blank(new[::-1]))
    return new[lead : len(new) - trail] if lead + trail < len(new) else []


def _count_blank(lines: list[str]) -> int:
    n = 0
    for x in lines:
        if x.strip():
            break
        n += 1
    return n


def _reindent(new: list[str], old: list[str], matched: list[str], unit: str) -> list[str]:
    """Move `new` from old's indentation to the file's.

    When the model wrote in another unit than the file's (spaces for a tab file, 2-space steps
    for a 4-space file), every line is rewritten level by level in the file's unit, moved by the
    levels between old's first line and the file's. Otherwise each indentation of `old` maps to
    the file's indentation at the same line; when that mapping is consistent it is applied (so a
    dropped class level comes back), else the first line's difference is applied to every line.
    """
    written = [x for x in old if x.strip()]
    found = [x for x in matched if x.strip()]
    if not written or not found:
        return new
    model_unit = indent_unit([*old, *new], default=unit)
    if model_unit != unit:
        shift = level_of(lead(found[0]), unit)[0] - level_of(lead(written[0]), model_unit)[0]
        return convert(new, model_unit, unit, shift)
    pairs = list(zip([lead(x) for x in written], [lead(x) for x in found]))
    if all(o == f for o, f in pairs):
        return new
    mapping: dict[str, str] = {}
    consistent = all(mapping.setdefault(o, f) == f for o, f in pairs)
    base_old, base_file = pairs[0]
    out = []
    for line in new:
        if not line.strip():
            out.append("")
            continue
        indent, rest = lead(line), line.lstrip(" \t")
        if consistent and indent in mapping:
            out.append(mapping[indent] + rest)
        elif indent.startswith(base_old):
            out.append(base_file + indent[len(base_old) :] + rest)
        elif base_old.startswith(indent):  # less indented than old's first line: dedent as far
            keep = max(0, len(base_file) - (len(base_old) - len(indent)))
            out.append(base_file[:keep] + rest)
        else:
            out.append(line)
    return out


def _strip_numbers(s: str) -> str | None:
    """`s` without read_file's `  12| ` prefixes, if every non-blank line has one; else None."""
    lines = s.split("\n")
    if not any(x.strip() for x in lines) or not all(_NUMBERED.match(x) for x in lines if x.strip()):
        return None
    return "\n".join(_NUMBERED.sub("", x, count=1) for x in lines)


def closest_region(text: str, old: str) -> tuple[int, int, float] | None:
    """(first, last, similarity) of the file lines most like `old`, compared without indentation."""
    body = text.split("\n")
    if text.endswith("\n"):
        body.pop()
    old_lines = [x.strip() for x in _lines(old.strip("\n"))]
    n = len(old_lines)
    if not body or n == 0:
        return None
    keys = [x.strip() for x in body]
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2("\n".join(old_lines))  # seq2 is cached; seq1 varies per window
    best: tuple[int, int, float] | None = None
    for i in range(max(1, len(body) - n + 1)):
        matcher.set_seq1("\n".join(keys[i : i + n]))
        if best and matcher.real_quick_ratio() <= best[2]:
            continue
        if best and matcher.quick_ratio() <= best[2]:
            continue
        ratio = matcher.ratio()
        if best is None or ratio > best[2]:
            best = (i, min(len(body), i + n) - 1, ratio)
    return best
