"""Which language a file is in, and the tree-sitter grammar and queries for it.

Grammars come from the official per-language wheels (`tree-sitter-python`,
...), which ship the compiled grammar and never touch the network. Recent
`tree-sitter-language-pack` releases (1.x) download grammars from GitHub on
first use instead, which fails offline and would stall a build; we use it
only for a grammar it already has on disk (or the 0.x releases, which bundle
theirs).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import PurePath
from typing import Any

from smallcoder.repomap.queries import QUERIES

log = logging.getLogger(__name__)

EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".pyw": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    # Headers go to the C++ grammar: it parses C headers too, and C++ ones are common.
    ".h": "cpp", ".hh": "cpp", ".hpp": "cpp", ".hxx": "cpp", ".h++": "cpp",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".c++": "cpp", ".ipp": "cpp", ".inl": "cpp",
}

# language -> (wheel module, function returning the grammar pointer)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
}


def language_for(path: str) -> str | None:
    """The tree-sitter language for a path by its extension, or None."""
    return EXTENSIONS.get(PurePath(path).suffix.lower())


@dataclass(frozen=True)
class Grammar:
    name: str
    parser: Any  # tree_sitter.Parser
    query: Any  # tree_sitter.Query


def _from_wheel(name: str) -> Any | None:
    module_name, func = _GRAMMARS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, func)()


def _from_language_pack(name: str) -> Any | None:
    try:
        pack = importlib.import_module("tree_sitter_language_pack")
    except ImportError:
        return None
    # 1.x fetches missing grammars over the network: only ask for ones on disk.
    downloaded = getattr(pack, "downloaded_languages", None)
    try:
        if downloaded is not None and name not in downloaded():
            return None
        return pack.get_language(name)
    except Exception:  # any failure inside the pack means "not available"
        return None


@cache
def grammar(name: str) -> Grammar | None:
    """Parser and compiled query for a language; None when unavailable (regex fallback)."""
    if name not in QUERIES:
        return None
    try:
        import tree_sitter as ts
    except ImportError:
        log.warning("tree-sitter is not installed; repo map falls back to regex definitions")
        return None
    raw = _from_wheel(name)
    language = ts.Language(raw) if raw is not None else _from_language_pack(name)
    if language is None:
        return None
    try:
        query = ts.Query(language, QUERIES[name])
    except Exception as exc:  # a grammar release renamed a node type: degrade, don't break the map
        log.warning("repo map query for %s does not compile (%s); using regex fallback", name, exc)
        return None
    return Grammar(name, ts.Parser(language), query)
