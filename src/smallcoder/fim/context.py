"""Context for a FIM prompt beyond its prefix/suffix window, fitted to a token budget with the model's
tokenizer.

Sources, best first when the budget is short:

1. definitions, ranked: the current file's own of names used near the cursor (``CLOSE_LINES``), other
   files' of those names, the current file's of names elsewhere in the window, names the file imports,
   the headers of the current file's other definitions (nearest the cursor first), other files' of names
   elsewhere in the window. The current file's come only from outside the window (a file longer than
   the window is not in the prompt whole) and are sent as one outline of the file, in line order;
   other files are the ones it imports (Python and JS/TS import statements) and its directory's others;
2. chunks of the files open in the editor that look most like the code around the cursor;
3. recently edited chunks (the editor reports them), newest last.

A definition longer than ``SHORT_DEF_LINES`` is sent as its header (a class with its members' headers),
so that one long body does not take the budget several signatures would use. In the prompt, the least
volatile come first, so the front of the prompt — and the KV cache holding it — survives keystrokes.

Chunks that nearly repeat the text already around the cursor are dropped (line-set Jaccard ≥
``DUPLICATE_JACCARD``, as llama.vim does for its ring buffer), as are near-duplicates of each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.fim.definitions import Block, DefinitionIndex, blocks_of, resolve_imports
from smallcoder.fim.formats import RepoFile

DUPLICATE_JACCARD = 0.5
CHUNK_LINES = 32
CLOSE_LINES = 12  # lines before the cursor whose names rank their definitions first
SHORT_DEF_LINES = 8  # a longer definition is sent as its header (and a class as its outline)
OUTLINE_LINES = 12  # at most this many member headers in a class outline
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")


@dataclass(frozen=True)
class Snippet:
    """A piece of another file: ``path`` relative to the repository, ``line`` 1-based start."""

    path: str
    text: str
    line: int = 1
    kind: str = "open"  # "definition", "open", "edit", or "own" (the current file, outside the window)
    parts: tuple[tuple[int, str], ...] = ()  # (line, text) of each piece, when the text joins several


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
        self._own: tuple[tuple[str, str], list[Block]] | None = None

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
        before, after = state.split()
        close = _idents("\n".join(before.split("\n")[-CLOSE_LINES:] + after.split("\n")[:4]))
        near = _idents(window)
        out: list[tuple[int, Snippet]] = []
        # the current file's own definitions outside the window: the prompt does not carry them when
        # the file is longer than the window, and they are the likeliest to be used at the cursor
        span = window_span(state, window)
        if span is not None:
            own = self._own_blocks(state)
            outside = [d for d in own if not span[0] <= d.line - 1 <= span[1]]
            rest: list[Block] = []
            for d in outside:
                if d.name in near and (d.name in close or not d.nested):
                    rank = 0 if d.name in close else 2
                    out.append((rank, Snippet(state.path, shown(d, own), d.line, "own")))
                else:
                    rest.append(d)
            # then the headers of the others, nearest the cursor first, a few to a snippet
            rest.sort(key=lambda d: abs(d.line - 1 - state.line))
            for i in range(0, len(rest), OUTLINE_LINES):
                parts = tuple(sorted((d.line, d.signature or d.text.split("\n")[0])
                                     for d in rest[i:i + OUTLINE_LINES]))
                out.append((4, Snippet(state.path, "\n".join(t for _, t in parts), parts[0][0], "own", parts)))
        if state.root is not None:
            local = _local_names(state.text)  # the file's own definition shadows another file's
            imported = resolve_imports(state.root, state.path, state.text)
            files = dict.fromkeys(imported)  # path → names, insertion-ordered
            for sibling in self.index.siblings(state.root, state.path):
                files.setdefault(sibling, None)
            for rel, names in files.items():
                blocks = self.index.definitions(state.root, rel)
                for d in blocks:
                    if d.name in local or (d.nested and d.name not in close):
                        continue  # a method matters only when called right at the cursor (`obj.name(`)
                    named = names is not None and d.name in names
                    if d.name in near or named:
                        # names used right at the cursor first, then imported ones, then the rest of the window
                        rank = 1 if d.name in close else 3 if named else 5
                        out.append((rank, Snippet(rel, shown(d, blocks), d.line, "definition")))
        out.sort(key=lambda r: r[0])
        return [s for _, s in out]

    def _own_blocks(self, state: EditorState) -> list[Block]:
        """The current text's definitions, parsed again only when the text changes."""
        key = (state.path, state.text)
        if self._own is None or self._own[0] != key:
            self._own = (key, blocks_of(state.path, state.text))
        return self._own[1]

    def gather(self, state: EditorState, *, window: str, budget_tokens: int,
               count: Callable[[str], int]) -> list[RepoFile]:
        """Snippets that fit ``budget_tokens`` (as counted by ``count``, the model's tokenizer),
        as RepoFile entries in prompt order. ``window``: the prefix/suffix text the prompt carries."""
        chosen = fit(self.candidates(state, window), window=window, budget_tokens=budget_tokens, count=count)
        return [RepoFile(s.path, s.text) for s in order_for_cache(merge_own(chosen))]


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


def merge_own(snippets: Sequence[Snippet]) -> list[Snippet]:
    """The current file's pieces (kind "own") joined into one snippet in line order, each piece once, so
    the prompt shows one outline of the file (its text costs no more tokens than the pieces did apart,
    which also paid a path line each); the other snippets as given."""
    own = [s for s in snippets if s.kind == "own"]
    if not own:
        return list(snippets)
    parts = sorted({p for s in own for p in (s.parts or ((s.line, s.text),))})
    merged = Snippet(own[0].path, "\n".join(t for _, t in parts), parts[0][0], "own", tuple(parts))
    return [s for s in snippets if s.kind != "own"] + [merged]


def order_for_cache(snippets: Sequence[Snippet]) -> list[Snippet]:
    """Stable order: definitions, then open-file chunks (each by path and line), then the current file's
    outline (nearest the window), then edits as given."""
    rank = {"definition": 0, "open": 1, "own": 2, "edit": 3}
    stable = sorted((s for s in snippets if s.kind != "edit"), key=lambda s: (rank.get(s.kind, 1), s.path, s.line))
    return stable + [s for s in snippets if s.kind == "edit"]


def shown(block: Block, members: Sequence[Block] = ()) -> str:
    """What is sent of a definition: a short one whole, a longer one as its header followed by ``...``
    (a class also with the headers of its ``members``, at most OUTLINE_LINES), so that one long body
    cannot take the budget that several other names' signatures would use."""
    if block.text.count("\n") < SHORT_DEF_LINES or not block.signature:
        return block.text
    inner = [m.signature for m in members if m.parent == block.line][:OUTLINE_LINES]
    head = block.signature.split("\n")
    pad = " " * (len(head[0]) - len(head[0].lstrip()) + 4)
    return "\n".join([*head, *inner, pad + "..."])


def window_span(state: EditorState, window: str) -> tuple[int, int] | None:
    """The 0-based first and last lines of ``state.text`` that ``window`` (a prefix that starts at a
    line's start and ends at the cursor, then the suffix after it) covers; None when it is not such a
    window of this text."""
    before, after = state.split()
    cursor_line = before.count("\n")
    start = len(before)
    for first in range(cursor_line, max(cursor_line - window.count("\n"), 0) - 1, -1):
        start = before.rfind("\n", 0, start) + 1  # where line ``first`` starts
        head = before[start:]
        if window.startswith(head) and after.startswith(window[len(head):]):
            return first, first + window.count("\n")
        start -= 1  # onto the newline that ends the line above
    return None


_LOCAL_DEF = re.compile(r"^\s*(?:async\s+)?(?:def|class|function|func|fn|struct|type|const|let|var)\s+([A-Za-z_]\w*)",
                        re.MULTILINE)


def _local_names(text: str) -> set[str]:
    return set(_LOCAL_DEF.findall(text))
