"""Gather, without asking the model, the code a task is about.

Small models spend steps (and make mistakes) finding files. Whatever needs no
intelligence we do up front: files the task names, definitions of the
identifiers it mentions, and files that appear in the failing test output go
straight into the first prompt, within a character budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from smallcoder.localize.imports import imported_modules
from smallcoder.repomap.files import list_files as repo_files
from smallcoder.repomap.files import read_source
from smallcoder.repomap.testpaths import is_test_path

MAX_WHOLE_FILE_LINES = 400
WINDOW = 60  # lines shown on each side of a definition in a big file

_PATH_RE = re.compile(r"[\w./-]+\.[A-Za-z0-9]{1,5}\b")
_IDENT_RE = re.compile(r"`([A-Za-z_][\w.]*)`|\b([A-Za-z_]\w*)\s*\(|\b([a-z]+_[a-z_0-9]+|[A-Z][a-z]+[A-Z]\w*)\b")
_TRACE_RE = re.compile(r'File "([^"]+)", line (\d+)|^([\w./-]+\.\w+):(\d+)', re.MULTILINE)
_DEF_KEYWORDS = r"(?:def|class|function|fn|func|struct|interface|type|const|let|var)"


@dataclass
class ContextFile:
    path: str
    text: str
    start: int = 1
    end: int = 0
    partial: bool = False


def _read_text(path: Path) -> str | None:
    """The file as text; None for binary, huge or unreadable files."""
    try:
        return read_source(path, path.stat().st_size)
    except OSError:
        return None


def _find_definitions(root: Path, files: list[str], names: list[str]) -> list[tuple[str, int]]:
    hits: list[tuple[str, int]] = []
    if not names:
        return hits
    pattern = re.compile(rf"^\s*(?:export\s+|pub\s+|async\s+)*{_DEF_KEYWORDS}\s+({'|'.join(map(re.escape, names))})\b")
    for rel in files:
        text = _read_text(root / rel)
        if text is None:
            continue
        for i, line in enumerate(text.splitlines(), 1):
            if pattern.match(line):
                hits.append((rel, i))
    return hits


def task_identifiers(task: str) -> list[str]:
    """Names the task mentions that look like code: `quoted`, called(), snake_case or CamelCase."""
    names = {g for m in _IDENT_RE.finditer(task) for g in m.groups() if g}
    return sorted({n.split(".")[-1] for n in names if len(n) > 2})


def gather_context(root: Path, task: str, test_output: str = "", *, char_budget: int = 12_000) -> list[ContextFile]:
    files = repo_files(root)
    known = set(files)
    ranked: list[tuple[str, int]] = []  # (path, line of interest; 0 = whole file)

    for m in _PATH_RE.finditer(task):
        cand = m.group(0).lstrip("./")
        matches = [f for f in files if f == cand or f.endswith("/" + cand)]
        ranked += [(f, 0) for f in matches[:3]]

    traced = []
    for m in _TRACE_RE.finditer(test_output):
        raw, line = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        rel = relative_path(root, raw)
        if rel in known:
            traced.append((rel, int(line)))

    # A name defined in several files is most likely the one the failing tests import.
    imported = imported_modules(root, sorted({t for t, _ in traced if is_test_path(t)}), known)
    defs = _find_definitions(root, files, task_identifiers(task)[:30])
    defs.sort(key=lambda d: (is_test_path(d[0]), d[0] not in imported))
    ranked += defs
    ranked += [t for t in traced if not is_test_path(t[0])] + [t for t in traced if is_test_path(t[0])]

    return _pack(root, ranked, char_budget)


def relative_path(root: Path, path: str) -> str:
    """A path as the repository's file list gives it: `./a.py` and `/abs/root/a.py` are `a.py`; a path outside
    `root` is returned as given."""
    p = Path(path)
    if p.is_absolute():
        try:
            return p.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path
    return p.as_posix()


def _pack(root: Path, ranked: list[tuple[str, int]], budget: int) -> list[ContextFile]:
    chosen: list[ContextFile] = []
    seen: set[str] = set()
    used = 0
    for rel, line in ranked:
        if rel in seen:
            continue
        text = _read_text(root / rel)
        if text is None:
            continue
        lines = text.splitlines()
        if len(lines) <= MAX_WHOLE_FILE_LINES and used + len(text) <= budget:
            item = ContextFile(rel, text.rstrip("\n"), 1, len(lines))
        else:
            center = line or 1
            start, end = max(1, center - WINDOW), min(len(lines), center + WINDOW)
            snippet = "\n".join(lines[start - 1 : end])
            if used + len(snippet) > budget:
                continue
            item = ContextFile(rel, snippet, start, end, partial=True)
        seen.add(rel)
        used += len(item.text)
        chosen.append(item)
    return chosen
