"""A unified diff as review needs it: per file, the hunks and which NEW-side lines each adds or shows.

Parsing is unidiff's (git's extended headers, renames, binary files, "\\ No newline at end of file").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from smallcoder.errors import ConfigError


@dataclass(frozen=True)
class Removal:
    """A run of removed lines that no added line took the place of: its code (without the `-` marks) and
    the new-side lines just above and below where it was (None where the hunk shows no such line)."""

    code: str
    above: int | None
    below: int | None

    @property
    def anchor(self) -> int | None:
        """The new-side line a finding about this removal goes on: the one that now follows it, else the one above."""
        return self.below or self.above


@dataclass(frozen=True)
class Hunk:
    """One @@ hunk. new_start/new_end: 1-based inclusive range on the new side (new_end < new_start when
    the hunk only deletes). added: new-side numbers of '+' lines. text: the hunk as in the diff.
    removals: the runs of removed lines no '+' line replaced. A deleted guard is a change too, and a
    finding about it can only point at the lines around where it was."""

    new_start: int
    new_end: int
    added: frozenset[int]
    text: str
    removals: tuple[Removal, ...] = ()

    @property
    def touched(self) -> frozenset[int]:
        """The new-side lines this hunk changed: added ones and the neighbours of pure removals."""
        return self.added | {n for r in self.removals for n in (r.above, r.below) if n}


@dataclass(frozen=True)
class DiffFile:
    """A changed file: its new path (old path for a deletion), status, and hunks."""

    path: str
    old_path: str
    status: str  # "added", "modified", "deleted", "renamed"
    hunks: tuple[Hunk, ...]
    binary: bool = False

    @property
    def added_lines(self) -> frozenset[int]:
        return frozenset().union(*(h.added for h in self.hunks)) if self.hunks else frozenset()

    @property
    def touched_lines(self) -> frozenset[int]:
        """New-side lines a finding may be about: added lines and the neighbours of pure removals."""
        return frozenset().union(*(h.touched for h in self.hunks)) if self.hunks else frozenset()

    @property
    def shown_lines(self) -> frozenset[int]:
        """New-side lines inside a hunk (added or context): GitHub accepts line comments on these."""
        return frozenset(n for h in self.hunks for n in range(h.new_start, h.new_end + 1))

    @property
    def text(self) -> str:
        header = f"--- a/{self.old_path}\n+++ b/{self.path}\n"
        return header + "".join(h.text for h in self.hunks)


@dataclass(frozen=True)
class ReviewDiff:
    files: tuple[DiffFile, ...] = field(default_factory=tuple)

    def file(self, path: str) -> DiffFile | None:
        """The changed file at `path`; a model's 'b/x.py' (the diff's prefix) also finds x.py."""
        for f in self.files:
            if f.path == path:
                return f
        if path.startswith(("a/", "b/")):
            return self.file(path[2:])
        return None

    @property
    def unreviewable(self) -> tuple[DiffFile, ...]:
        """Text files the change deletes or empties: no new-side line is left to comment on."""
        return tuple(f for f in self.files if not f.binary and f not in self.reviewable)

    @property
    def reviewable(self) -> tuple[DiffFile, ...]:
        """Files with changed lines to review (added lines or removals inside a kept file; not deleted
        files, not binary ones)."""
        return tuple(f for f in self.files if not f.binary and f.status != "deleted" and f.touched_lines)


def parse_diff(text: str) -> ReviewDiff:
    """Parse `git diff` output (any unified diff with a/ b/ prefixes). Raises ConfigError when unreadable.

    An empty text gives an empty ReviewDiff (nothing to review)."""
    unidiff = _unidiff()
    try:
        patch = unidiff.PatchSet(text)
    except unidiff.UnidiffParseError as e:
        raise ConfigError(f"cannot read the diff: {e}") from None
    files = []
    for pf in patch:
        hunks = []
        for h in pf:
            added = frozenset(line.target_line_no for line in h if line.is_added and line.target_line_no)
            hunks.append(Hunk(h.target_start, h.target_start + h.target_length - 1, added, str(h),
                              _removals(list(h))))
        status = ("added" if pf.is_added_file else "deleted" if pf.is_removed_file
                  else "renamed" if pf.is_rename else "modified")
        path = _strip(pf.target_file if not pf.is_removed_file else pf.source_file)
        files.append(DiffFile(path, _strip(pf.source_file), status, tuple(hunks), bool(pf.is_binary_file)))
    return ReviewDiff(tuple(files))


def _removals(lines: list[Any]) -> tuple[Removal, ...]:
    """Each run of '-' lines with no '+' line in it, from unidiff Line objects in hunk order. A run
    replaced by '+' lines is already marked by them."""
    out: list[Removal] = []
    i = 0
    while i < len(lines):
        if not lines[i].is_removed:
            i += 1
            continue
        j = i
        while j < len(lines) and (lines[j].is_removed or lines[j].is_added):
            j += 1
        block = lines[i:j]
        if not any(ln.is_added for ln in block):
            out.append(Removal("".join(ln.value for ln in block if ln.is_removed),
                               _nearest_code(reversed(lines[:i])), _nearest_code(lines[j:])))
        i = j
    return tuple(out)


# Lines that never run: blank, a comment, a lone quote or bracket closing a docstring or a call, a line that
# is only a string (a docstring).
_INERT = re.compile(r"^\s*(?:#.*|//.*|(?:\"\"\"|\'\'\'|[)\]}]+)[,;]?|[rbuRBU]*(\"\"\"|\'\'\'|\"|\').*\1)?\s*$")


def _nearest_code(lines: Any) -> int | None:
    """The new-side number of the first line in `lines` (unidiff Lines, nearest first) that is code: a
    finding about a removal goes where the next statement runs, which a call can reach. The first
    new-side line at all when the hunk shows no code there; None when it shows none."""
    first = None
    for ln in lines:
        if not ln.target_line_no:
            continue
        first = first or ln.target_line_no
        if not _INERT.match(ln.value):
            return int(ln.target_line_no)
    return first


def _strip(name: str) -> str:
    return name[2:] if name.startswith(("a/", "b/")) else name


def _unidiff() -> Any:
    try:
        import unidiff
    except ImportError as e:
        raise ConfigError("code review needs unidiff — run `pip install 'smallcoder[review]'`") from e
    return unidiff
