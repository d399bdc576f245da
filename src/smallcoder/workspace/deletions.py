"""Definitions a change removes whole: functions and classes that exist before and not after.

A small model that rewrites a whole file often drops what it was not looking at
(the field report think-no-opener-draft-call-xml: a draft `write_file` that kept
only mean() and lost spread()). The tests may still pass, so the outcome alone
does not show it. This module names every function or class that a diff
removes and that the task does not mention, so the run can say so and `--apply`
can ask for `--force`.

Definitions come from the repo map's tags (tree-sitter, or its regex fallback),
the same reader the first prompt uses. A definition counts as deleted when its
qualified name (`Stats.spread`) is gone from its file and is not defined in any
other file the diff touches (a move is not a deletion).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from smallcoder.repomap.definitions import Definition
from smallcoder.repomap.tags import extract_tags
from smallcoder.workspace.git import git

# Tag kinds that are "whole functions/classes"; constants and fields are left out.
_CALLABLE = frozenset({"function", "method"})
_TYPES = frozenset({"class", "struct", "interface", "trait", "enum", "module", "type", "impl"})
_DIFF_FILE = re.compile(r"^diff --git a/(.+?) b/(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Deletion:
    """One definition the change removes: `path` relative to the repository root, `name` qualified
    with its enclosing classes (`Stats.spread`), `kind` as the tag reader names it, `line` 1-based
    in the old file."""

    path: str
    name: str
    kind: str
    line: int

    def describe(self) -> str:
        """`spread() in stats.py`, `class Stats in stats.py`."""
        what = f"{self.name}()" if self.kind in _CALLABLE else f"{self.kind} {self.name}"
        return f"{what} in {self.path}"

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "name": self.name, "kind": self.kind, "line": self.line}


def changed_paths(diff: str) -> list[tuple[str, str]]:
    """(old path, new path) of each file in a `git diff` text, in order."""
    return [(a, b) for a, b in _DIFF_FILE.findall(diff)]


def qualified_definitions(path: str, text: str) -> dict[str, Definition]:
    """Qualified name -> definition of the functions and classes in one file ({} for a file we cannot read).

    Functions nested inside functions are locals and are left out: removing one is an edit of its parent.
    """
    tags = extract_tags(path, text)
    if tags is None:
        return {}
    by_line = {d.line: d for d in tags.definitions}
    out: dict[str, Definition] = {}
    for d in tags.definitions:
        if d.kind not in _CALLABLE | _TYPES:
            continue
        names, parent, inside_function = [d.name], d.parent, False
        while parent and parent in by_line:
            outer = by_line[parent]
            inside_function |= outer.kind in _CALLABLE
            names.append(outer.name)
            parent = outer.parent if outer.parent != parent else 0
        if not inside_function:
            out.setdefault(".".join(reversed(names)), d)
    return out


def deleted_definitions(old: dict[str, str], new: dict[str, str], task: str) -> list[Deletion]:
    """Definitions present in `old` files and gone from `new` ones, not named in `task`.

    old, new: path -> file text before and after (a path missing from `new` was deleted).
    A definition counts as mentioned when the task contains its bare name as a whole word.
    Sorted by path, then line.
    """
    after: set[str] = set()
    for path, text in new.items():
        after |= set(qualified_definitions(path, text))
    gone: list[Deletion] = []
    for path, text in old.items():
        now = set(qualified_definitions(path, new[path])) if path in new else set()
        for qname, d in qualified_definitions(path, text).items():
            if qname in now or qname in after:  # kept, or moved to another changed file
                continue
            if re.search(rf"(?<![\w]){re.escape(d.name)}(?![\w])", task):
                continue
            gone.append(Deletion(path, qname, d.kind, d.line))
    return sorted(gone, key=lambda x: (x.path, x.line))


def find_deletions(worktree: Path, base_commit: str, diff: str, task: str) -> list[Deletion]:
    """The definitions `diff` (worktree against `base_commit`) removes that `task` does not mention.

    Reads old files with `git show base:path` and new ones from the worktree. Files that are
    binary or not valid UTF-8 are skipped. Raises WorkspaceError only when git itself cannot run.
    """
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    for a, b in changed_paths(diff):
        shown = git(["show", f"{base_commit}:{a}"], worktree, ok_codes=(0, 128))
        if shown.returncode == 0:  # 128: the file is new
            text = _decode(shown.stdout)
            if text is not None:
                old[a] = text
        target = worktree / b
        if target.is_file():
            text = _decode(target.read_bytes())
            if text is not None:
                new[b] = text
    return deleted_definitions(old, new, task)


def _decode(data: bytes) -> str | None:
    if b"\0" in data[:8000]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
