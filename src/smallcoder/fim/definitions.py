"""Definitions in other files: which files the current one imports, and the source of each
definition in them (the repo map's tree-sitter tags give the start line; the block's extent
is read from indentation and braces).

Import resolution covers Python (``import a.b``, ``from .x import y``) and JS/TS relative
imports (``import {a} from './x'``); other languages rely on the directory's other files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from smallcoder.repomap.tags import extract_tags

MAX_BLOCK_LINES = 30
MAX_HEADER_LINES = 12
MAX_FILE_BYTES = 200_000
MAX_SIBLINGS = 24

_PY_FROM = re.compile(r"^\s*from\s+(\.*[\w.]*)\s+import\s+\(?([^)#\n]+)", re.MULTILINE)
_PY_IMPORT = re.compile(r"^\s*import\s+([\w.]+)(?:\s+as\s+(\w+))?", re.MULTILINE)
_JS_IMPORT = re.compile(r"""import\s+(?:\{([^}]*)\}|(\w+))\s+from\s+['"](\.[^'"]+)['"]""")
_JS_EXTS = (".ts", ".tsx", ".js", ".jsx", ".mjs", "/index.ts", "/index.js")


@dataclass(frozen=True)
class Block:
    """One definition's source: ``name``, 1-based ``line`` and its ``text`` (at most MAX_BLOCK_LINES);
    ``signature``: its header as written (the lines up to the body, indentation kept); ``parent``: the
    1-based line of the enclosing class/impl, 0 at top level."""

    name: str
    line: int
    text: str
    nested: bool = False  # a method or other definition inside a class/impl
    signature: str = ""
    parent: int = 0


def _py_module(root: Path, here: Path, module: str) -> Path | None:
    dots = len(module) - len(module.lstrip("."))
    parts = [p for p in module.lstrip(".").split(".") if p]
    bases = [here.parent] if dots else [root, root / "src"]
    if dots > 1:
        bases = [here.parents[min(dots - 1, len(here.parents) - 1)]]
    for base in bases:
        target = base.joinpath(*parts)
        for cand in (target.with_suffix(".py") if parts else None, target / "__init__.py"):
            if cand is not None and cand.is_file():
                return cand
    return None


def resolve_imports(root: Path, path: str, text: str) -> dict[str, set[str] | None]:
    """Files (relative to ``root``) the file at ``path`` imports → names it takes from each
    (None = the whole module, as with ``import a.b``). Unresolvable imports are skipped."""
    here = root / path
    out: dict[str, set[str] | None] = {}

    def add(found: Path | None, names: set[str] | None) -> None:
        if found is None:
            return
        try:
            rel = found.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return
        if rel == path:
            return
        if rel in out and out[rel] is not None and names is not None:
            out[rel] = out[rel] | names  # type: ignore[operator]
        else:
            out[rel] = None if (rel in out and out[rel] is None) else names

    if path.endswith(".py"):
        for m in _PY_FROM.finditer(text):
            names = {n.strip().split(" as ")[0].strip() for n in m.group(2).split(",") if n.strip()}
            module = m.group(1)
            add(_py_module(root, here, module), names)
            for n in names:  # `from pkg import mod` names a module
                sub = module + ("" if module.endswith(".") else ".") + n
                add(_py_module(root, here, sub), None)
        for m in _PY_IMPORT.finditer(text):
            add(_py_module(root, here, m.group(1)), None)
    elif path.endswith((".js", ".jsx", ".ts", ".tsx", ".mjs")):
        for m in _JS_IMPORT.finditer(text):
            names = {n.strip().split(" as ")[0].strip() for n in (m.group(1) or m.group(2)).split(",") if n.strip()}
            base = (here.parent / m.group(3))
            hit = next((Path(str(base) + e) for e in ("", *_JS_EXTS) if Path(str(base) + e).is_file()), None)
            add(hit, names)
    return out


def block_at(lines: list[str], line: int) -> str:
    """The definition starting at 1-based ``line``: it and the lines indented deeper (or up to the
    brace that closes it), blank lines kept, at most MAX_BLOCK_LINES."""
    start = line - 1
    head = lines[start]
    indent = len(head) - len(head.lstrip())
    out = [head]
    for ln in lines[start + 1:start + MAX_BLOCK_LINES]:
        if ln.strip() and len(ln) - len(ln.lstrip()) <= indent:
            if ln.strip()[0] in "})]":
                out.append(ln)
            break
        out.append(ln)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


def header_at(lines: list[str], line: int) -> str:
    """The header of the definition at 1-based ``line``: its lines up to the one that opens the body
    (ends with ``:`` or holds ``{``), at most MAX_HEADER_LINES; a one-line header when none is found."""
    start = line - 1
    for end in range(start, min(start + MAX_HEADER_LINES, len(lines))):
        code = lines[end].split("#")[0].rstrip()
        if code.endswith(":") or "{" in code or (end == start and not code.endswith(("(", "[", ",", "\\"))):
            return "\n".join(lines[start:end + 1])
    return lines[start]


def blocks_of(rel: str, text: str) -> list[Block]:
    """Every definition of the source ``text`` (of the file ``rel``, which names its language) with its
    block and header, in the tag finder's order; [] for a file it cannot read."""
    tags = extract_tags(rel, text)
    if tags is None:
        return []
    lines = text.split("\n")
    return [Block(d.name, d.line, block_at(lines, d.line), d.parent != 0, header_at(lines, d.line), d.parent)
            for d in tags.definitions if 0 < d.line <= len(lines)]


class DefinitionIndex:
    """Definitions per file, re-read only when the file's modification time changes."""

    def __init__(self) -> None:
        self._files: dict[Path, tuple[float, list[Block]]] = {}

    def definitions(self, root: Path, rel: str) -> list[Block]:
        path = root / rel
        try:
            stat = path.stat()
        except OSError:
            return []
        cached = self._files.get(path)
        if cached is not None and cached[0] == stat.st_mtime:
            return cached[1]
        blocks: list[Block] = []
        if stat.st_size <= MAX_FILE_BYTES:
            blocks = blocks_of(rel, path.read_text(encoding="utf-8", errors="replace"))
        self._files[path] = (stat.st_mtime, blocks)
        return blocks

    def siblings(self, root: Path, rel: str) -> list[str]:
        """Other source files in the same directory (same extension), by name, at most MAX_SIBLINGS."""
        here = root / rel
        try:
            found = sorted(p for p in here.parent.iterdir() if p.is_file() and p.suffix == here.suffix and p != here)
        except OSError:
            return []
        return [p.relative_to(root).as_posix() for p in found[:MAX_SIBLINGS]]
