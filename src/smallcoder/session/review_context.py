"""What the review model sees of a change: chunks that fit its window, each holding some files' hunks
with NEW-side line numbers, the changed functions whole, and the repo map's definitions of the names
those functions use.

Small models miscount lines, so every line shown carries its number; '+' marks what the change
added, which is all a finding may be about.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from smallcoder.repomap import build_repo_map, estimate_tokens, extract_tags
from smallcoder.review import DiffFile, Hunk, ReviewDiff

MAX_FUNCTION_LINES = 120  # a longer "function" is shown around its changes only
FALLBACK_CONTEXT = 15  # lines around a change where no function encloses it
# Generated or vendored text a model cannot usefully review.
SKIPPED = (".lock", "package-lock.json", ".min.js", ".min.css", ".svg", ".map", ".snap")
_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


@dataclass(frozen=True)
class Part:
    """One file's share of a chunk: its numbered hunks and the changed functions, whole."""

    path: str
    diff: str
    functions: str
    names: frozenset[str]
    call: str = ""  # how the changed code is called ("Table().width(rows)"), for the prompt's example
    removals: bool = False  # the hunks remove lines with nothing in their place (the prompt says where those go)

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.diff + self.functions)


@dataclass(frozen=True)
class Chunk:
    parts: tuple[Part, ...]
    repo_map: str = ""

    @property
    def paths(self) -> list[str]:
        return sorted({p.path for p in self.parts})

    @property
    def tokens(self) -> int:
        return sum(p.tokens for p in self.parts) + estimate_tokens(self.repo_map)


def make_chunks(diff: ReviewDiff, read_new: Callable[[str], str | None], root: Path, budget: int,
                map_budget: int = 512) -> list[Chunk]:
    """Split the reviewable files of `diff` into chunks of at most about `budget` tokens (estimated)
    each, plus a repo map of up to `map_budget` tokens. A file too big for one chunk is split by
    hunk; a hunk too big alone is cut to fit (its added lines first). Order follows the diff."""
    parts: list[Part] = []
    for f in diff.reviewable:
        if f.path.endswith(SKIPPED):
            continue
        text = read_new(f.path) or ""
        whole = file_part(f, text, f.hunks)
        if whole.tokens <= budget:
            parts.append(whole)
        else:
            parts.extend(_fit(file_part(f, text, (h,)), budget) for h in f.hunks if h.touched)
    chunks: list[list[Part]] = []
    for part in parts:
        if chunks and sum(p.tokens for p in chunks[-1]) + part.tokens <= budget:
            chunks[-1].append(part)
        else:
            chunks.append([part])
    out = []
    for group in chunks:
        names = sorted(set().union(*(p.names for p in group)))
        repo_map = ""
        if map_budget > 0 and names:
            built = build_repo_map(root, mentioned_files=[p.path for p in group], mentioned_idents=names,
                                   token_budget=map_budget)
            repo_map = built.text
        out.append(Chunk(tuple(group), repo_map))
    return out


def file_part(f: DiffFile, text: str, hunks: tuple[Hunk, ...]) -> Part:
    """The numbered hunks of `f` and the functions enclosing their changed lines (from the new text): added
    lines and the neighbours of removed ones."""
    added = frozenset(n for h in hunks for n in h.added)
    touched = frozenset(n for h in hunks for n in h.touched)
    lines = text.splitlines()
    in_hunks = {n for h in hunks for n in range(h.new_start, h.new_end + 1)}
    # a function the hunk already shows whole is not repeated (tokens are dear in a small window)
    spans = [(a, b) for a, b in enclosing_spans(f.path, text, touched) if not set(range(a, b + 1)) <= in_hunks]
    shown = [numbered(lines, a, b, added) for a, b in spans]
    body = "\n".join(lines[n - 1] for n in sorted(touched | {n for a, b in spans for n in range(a, b + 1)})
                     if 0 < n <= len(lines))
    names = frozenset(n for n in _IDENT.findall(body) if not keyword.iskeyword(n) and len(n) > 2)
    call = example_call(text, min(touched)) if f.path.endswith(".py") and touched else ""
    return Part(f.path, "".join(numbered_hunk(h) for h in hunks), "\n...\n".join(shown), names, call,
                any(h.removals for h in hunks))


def example_call(text: str, line: int) -> str:
    """How the function around `line` (1-based) of the Python `text` is called, its parameters as
    names: "mean(values)", "Table().width(rows, pad)" for a method of a module-level class. Shown
    to the model as the shape of the call it should write with real values: an example from the file
    at hand, because a small model copies a generic example verbatim. "" outside any function."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ""
    for node in tree.body:
        if not node.lineno <= line <= (node.end_lineno or node.lineno):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return _call_of(node, "")
        if isinstance(node, ast.ClassDef):
            inner = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and n.lineno <= line <= (n.end_lineno or n.lineno)]
            return _call_of(inner[0], f"{node.name}().") if inner else ""
    return ""


def _call_of(fn: ast.FunctionDef | ast.AsyncFunctionDef, owner: str) -> str:
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args) if a.arg not in ("self", "cls")]
    return f"{owner}{fn.name}({', '.join(params)})"


def numbered_hunk(h: Hunk) -> str:
    """A hunk with each new-side line numbered: `  15 + code` added, `  14   code` context, `     - code` removed."""
    out, n = [], h.new_start
    for raw in h.text.splitlines()[1:]:  # the @@ header is replaced by numbers
        mark, code = raw[:1], raw[1:]
        if mark == "+":
            out.append(f"{n:5} + {code}")
            n += 1
        elif mark == "-":
            out.append(f"      - {code}")
        elif mark == " ":
            out.append(f"{n:5}   {code}")
            n += 1
    return "\n".join(out) + "\n...\n"


def numbered(lines: list[str], start: int, end: int, added: frozenset[int]) -> str:
    return "\n".join(f"{n:5} {'+' if n in added else ' '} {lines[n - 1]}" for n in range(start, min(end, len(lines)) + 1))


def enclosing_spans(path: str, text: str, added: frozenset[int]) -> list[tuple[int, int]]:
    """1-based inclusive line spans to show whole: the innermost function (or class body line run)
    around each added line; Python through `ast`, other languages through the repo map's tags
    (a definition runs to the next one). Lines outside any function add no span (the hunk shows
    them); a function longer than MAX_FUNCTION_LINES is shown ±FALLBACK_CONTEXT around the change."""
    total = len(text.splitlines())
    defs = _python_defs(text) if path.endswith(".py") else _tag_defs(path, text, total)
    spans: list[tuple[int, int]] = []
    for n in sorted(added):
        around = [d for d in defs if d[0] <= n <= d[1]]
        if not around:
            continue  # the hunk's own context lines show it
        a, b = min(around, key=lambda d: d[1] - d[0])
        if b - a > MAX_FUNCTION_LINES:
            a, b = max(a, n - FALLBACK_CONTEXT), min(b, n + FALLBACK_CONTEXT)
        if spans and a <= spans[-1][1] + 1:
            spans[-1] = (min(spans[-1][0], a), max(spans[-1][1], b))
        else:
            spans.append((a, b))
    return spans


def _python_defs(text: str) -> list[tuple[int, int]]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    return [(min([n.lineno, *(d.lineno for d in n.decorator_list)]), n.end_lineno or n.lineno)
            for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _tag_defs(path: str, text: str, total: int) -> list[tuple[int, int]]:
    tags = extract_tags(path, text)
    if tags is None:
        return []
    starts = sorted({d.line for d in tags.definitions if d.kind in ("function", "method")} |
                    {d.line for d in tags.definitions})
    return [(s, (starts[i + 1] - 1) if i + 1 < len(starts) else total) for i, s in enumerate(starts)
            if any(d.line == s and d.kind in ("function", "method") for d in tags.definitions)]


def _fit(part: Part, budget: int) -> Part:
    """Cut a part that alone exceeds the budget: the functions go first, then the hunk's tail."""
    if part.tokens <= budget:
        return part
    part = Part(part.path, part.diff, "", part.names, part.call, part.removals)
    while part.tokens > budget and part.diff.count("\n") > 4:
        lines = part.diff.splitlines()
        part = Part(part.path, "\n".join(lines[: len(lines) * 3 // 4]) + "\n...\n", "", part.names, part.call,
                    part.removals)
    return part
