"""Context from other files for a FIM prompt, fitted to a token budget with the model's tokenizer.

Three sources, in the order they are placed in the prompt (least volatile first, so the front of
the prompt — and the KV cache holding it — survives keystrokes):

1. definitions of names the current file imports or uses near the cursor, found in the files it
   imports (Python and JS/TS import statements) and in its directory's other files;
2. chunks of the files open in the editor that look most like the code around the cursor;
3. recently edited chunks (the editor reports them), newest last.

Chunks that nearly repeat the text already around the cursor are dropped (line-set Jaccard ≥
``DUPLICATE_JACCARD``, as llama.vim does for its ring buffer), as are near-duplicates of each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.fim.definitions import DefinitionIndex, resolve_imports
from smallcoder.fim.formats import RepoFile

DUPLICATE_JACCARD = 0.5
CHUNK_LINES = 32
CLOSE_LINES = 12  # lines before the cursor whose names rank their definitions first
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")


@dataclass(frozen=True)
class Snippet:
    """A piece of another file: ``path`` relative to the repository, ``line`` 1-based start."""

    path: str
    text: str
    line: int = 1
    kind: str = "open"  # "definition", "open" or "edit"


@dataclass
class EditorState:
    """What the editor knows at a keystroke. ``line``/``col`` are 0-based, col in characters.

    ``open_files``: relative path → current text of the other open buffers; ``recent_edits``:
    chunks the user changed lately, oldest first; ``root``: the repository, for imports.
    """

    path: str
    text: str
    line: int
    col: int
    root: Path | None = None
    open_files: dict[str, str] = field(default_factory=dict)
    recent_edits: list[Snippet] = field(default_factory=list)

    def split(self) -> tuple[str, str]:
        """(prefix, suffix) of the whole text at the cursor; a cursor past the end is clamped."""
        lines = self.text.split("\n")
        line = min(max(self.line, 0), len(lines) - 1)
        col = min(max(self.col, 0), len(lines[line]))
        offset = sum(len(ln) + 1 for ln in lines[:line]) + col
        return self.text[:offset], self.text[offset:]


def line_set(text: str) -> set[str]:
    return {ln.strip() for ln in text.split("\n") if ln.strip()}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _idents(text: str) -> set[str]:
    return set(_IDENT.findall(text))


class ContextGatherer:
    """Picks and fits context for one repository; keeps parsed definitions between keystrokes."""

    def __init__(self, index: DefinitionIndex | None = None) -> None:
        self.index = index or DefinitionIndex()

    def candidates(self, state: EditorState, window: str) -> list[Snippet]:
        """Every snippet worth sending, best first within each kind (before budget and dedup)."""
        found = self._definitions(state, window)
        near = _idents(window)
        chunks: list[tuple[float, Snippet]] = []
        for path, text in sorted(state.open_files.items()):
            if path == state.path:
                continue
            lines = text.split("\n")
            for start in range(0, len(lines), CHUNK_LINES):
                body = "\n".join(lines[start:start + CHUNK_LINES])
                score = jaccard(_idents(body), near)
                if score > 0:
                    chunks.append((score, Snippet(path, body, start + 1, "open")))
        chunks.sort(key=lambda c: -c[0])
        found += [s for _, s in chunks]
        found += [e for e in reversed(state.recent_edits) if e.path != state.path or e.text not in window]
        return found

    def _definitions(self, state: EditorState, window: str) -> list[Snippet]:
        if state.root is None:
            return []
        imported = resolve_imports(state.root, state.path, state.text)
        local = _local_names(state.text)  # local definitions are in the prompt already
        near = _idents(window) - local
        before, after = state.split()
        close = _idents("\n".join(before.split("\n")[-CLOSE_LINES:] + after.split("\n")[:4])) - local
        files = dict.fromkeys(imported)  # path → names, insertion-ordered
        for sibling in self.index.siblings(state.root, state.path):
            files.setdefault(sibling, None)
        out: list[tuple[int, Snippet]] = []
        for rel, names in files.items():
            for d in self.index.definitions(state.root, rel):
                if d.nested and d.name not in close:
                    continue  # a method matters only when called right at the cursor (`obj.name(`)
                named = names is not None and d.name in names
                if d.name in near or named:
                    # names used right at the cursor first, then imported ones, then the rest of the window
                    rank = 0 if d.name in close else 1 if named else 2
                    out.append((rank, Snippet(rel, d.text, d.line, "definition")))
        out.sort(key=lambda r: r[0])
        return [s for _, s in out]

    def gather(self, state: EditorState, *, window: str, budget_tokens: int,
               count: Callable[[str], int]) -> list[RepoFile]:
        """Snippets that fit ``budget_tokens`` (as counted by ``count``, the model's tokenizer),
        as RepoFile entries in prompt order. ``window``: the prefix/suffix text the prompt carries."""
        chosen = fit(self.candidates(state, window), window=window, budget_tokens=budget_tokens, count=count)
        return [RepoFile(s.path, s.text) for s in order_for_cache(chosen)]


def fit(snippets: Iterable[Snippet], *, window: str, budget_tokens: int,
        count: Callable[[str], int]) -> list[Snippet]:
    """Greedy: take snippets in the given (priority) order while they fit; drop near-duplicates of the
    window and of snippets already taken. The header each adds (path line) is counted too."""
    taken: list[Snippet] = []
    seen = [line_set(window)]
    used = 0
    for s in snippets:
        lines = line_set(s.text)
        if not lines or any(jaccard(lines, other) >= DUPLICATE_JACCARD for other in seen):
            continue
        cost = count(f"{s.path}\n{s.text}\n") + 2
        if used + cost > budget_tokens:
            continue
        taken.append(s)
        seen.append(lines)
        used += cost
    return taken


def order_for_cache(snippets: Sequence[Snippet]) -> list[Snippet]:
    """Stable order: definitions, then open-file chunks (each by path and line), then edits as given."""
    rank = {"definition": 0, "open": 1, "edit": 2}
    stable = sorted((s for s in snippets if s.kind != "edit"), key=lambda s: (rank.get(s.kind, 1), s.path, s.line))
    return stable + [s for s in snippets if s.kind == "edit"]


_LOCAL_DEF = re.compile(r"^\s*(?:async\s+)?(?:def|class|function|func|fn|struct|type|const|let|var)\s+([A-Za-z_]\w*)",
                        re.MULTILINE)


def _local_names(text: str) -> set[str]:
    return set(_LOCAL_DEF.findall(text))
