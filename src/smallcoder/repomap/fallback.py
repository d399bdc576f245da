"""Regex definitions for source files that have no tree-sitter query here.

Cheap and approximate: a definition is a line that starts (after modifiers)
with a definition keyword, or a modified method header in C#/Kotlin style.
References are all identifier-like words, comments and strings included.
"""

from __future__ import annotations

import bisect
import re
from pathlib import PurePath

from smallcoder.repomap.definitions import MAX_SIGNATURE, Definition, FileTags, join_lines

EXTENSIONS = frozenset({
    ".rb", ".rake", ".php", ".cs", ".kt", ".kts", ".swift", ".scala", ".sc", ".lua",
    ".sh", ".bash", ".zsh", ".pl", ".pm", ".ex", ".exs", ".erl", ".hrl", ".hs", ".ml",
    ".mli", ".fs", ".fsx", ".dart", ".r", ".jl", ".zig", ".nim", ".clj", ".cljs",
    ".groovy", ".gradle", ".m", ".mm", ".vue", ".svelte", ".sol", ".cr", ".v", ".elm",
    ".ps1", ".tcl", ".d", ".pas", ".f90", ".cob", ".ada", ".adb", ".vb", ".gd",
})

_MODIFIERS = (
    r"export|default|public|private|protected|internal|static|final|abstract|async|override|"
    r"open|sealed|inline|extern|virtual|partial|readonly|local|unsafe|suspend|data|case|"
    r"enum|lazy|mutating|fileprivate|tailrec|operator|infix|external|implicit|pub(?:\([^)]*\))?"
)
_KEYWORDS = (
    r"def|defp|defmodule|defmacro|defn|class|module|function|func|fun|fn|sub|proc|struct|"
    r"enum|interface|trait|object|protocol|extension|record|type|typealias|union|impl|"
    r"namespace|macro|contract|library"
)
_DEF_RE = re.compile(
    rf"^(?P<indent>[ \t]*)(?:(?:{_MODIFIERS})\s+)*(?P<kw>{_KEYWORDS})\s+"
    r"(?:self\.)?(?P<name>[A-Za-z_$][\w$]*[?!]?)",
    re.MULTILINE,
)
# `public int Area(` / `private static Foo<Bar> make(`: methods with no keyword.
_METHOD_RE = re.compile(
    r"^(?P<indent>[ \t]*)(?:(?:public|private|protected|internal|static|virtual|override|"
    r"async|sealed|abstract|extern|unsafe|new|partial|final)\s+)+[\w<>\[\],.?]+\s+"
    r"(?P<name>[A-Za-z_]\w*)\s*\(",
    re.MULTILINE,
)
_SHELL_RE = re.compile(r"^(?P<indent>[ \t]*)(?:function\s+)?(?P<name>[A-Za-z_][\w-]*)\s*\(\)\s*\{", re.MULTILINE)
_WORD_RE = re.compile(r"[A-Za-z_]\w*")
_CONTAINER_KWS = frozenset({
    "class", "module", "defmodule", "struct", "interface", "trait", "object", "protocol",
    "extension", "impl", "namespace", "record", "contract", "library", "enum",
})
_SHELLS = frozenset({".sh", ".bash", ".zsh"})


def handles(path: str) -> bool:
    return PurePath(path).suffix.lower() in EXTENSIONS


def regex_tags(path: str, text: str) -> FileTags:
    tags = FileTags(path, "regex")
    hits: dict[int, tuple[str, str, int]] = {}  # offset -> (name, kind, indent width)
    patterns = [(_DEF_RE, None), (_METHOD_RE, "method")]
    if PurePath(path).suffix.lower() in _SHELLS:
        patterns.append((_SHELL_RE, "function"))
    for regex, fixed_kind in patterns:
        for m in regex.finditer(text):
            kind = fixed_kind or _kind(m.group("kw"))
            hits.setdefault(m.start(), (m.group("name"), kind, len(m.group("indent").expandtabs(4))))
    stack: list[tuple[int, int]] = []  # open containers: (indent, line)
    line_starts = _line_starts(text)
    for offset in sorted(hits):
        name, kind, indent = hits[offset]
        line = _line_of(line_starts, offset)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else 0
        sig = join_lines([text[line_starts[line - 1] : _line_end(text, offset)]]).rstrip(" {")
        tags.lines[line] = sig if len(sig) <= MAX_SIGNATURE else sig[: MAX_SIGNATURE - 1] + "…"
        tags.definitions.append(Definition(name, kind, line, parent))
        if kind in _CONTAINER_KWS or kind == "class":
            stack.append((indent, line))
    for word in _WORD_RE.findall(text):
        tags.references[word] = tags.references.get(word, 0) + 1
    return tags


def _kind(keyword: str) -> str:
    if keyword in ("def", "defp", "defn", "function", "func", "fun", "fn", "sub", "proc", "macro", "defmacro"):
        return "function"
    if keyword in ("defmodule", "module", "namespace"):
        return "module"
    if keyword in ("typealias", "type", "union"):
        return "type"
    return keyword


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)


def _line_end(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end == -1 else end
