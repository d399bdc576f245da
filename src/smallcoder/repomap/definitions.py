"""The records a repo map is made of: a file's definitions, the lines shown for them, its references.

Shared by the tree-sitter extractor (tags.py) and the regex fallback (fallback.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_SIGNATURE = 160  # characters of a definition's header shown in the map


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    kind: str  # function, method, class, struct, type, constant, ...
    line: int  # 1-based
    parent: int = 0  # line of the enclosing class/impl/namespace; 0 at top level


@dataclass
class FileTags:
    path: str
    language: str  # a tree-sitter language name, or "regex"
    definitions: list[Definition] = field(default_factory=list)
    lines: dict[int, str] = field(default_factory=dict)  # line -> text shown (defs and parents)
    # name -> times used; ".name" for a use through a value (`obj.name`)
    references: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "defs": [[d.name, d.kind, d.line, d.parent] for d in self.definitions],
            "lines": {str(k): v for k, v in self.lines.items()},
            "refs": self.references,
        }

    @classmethod
    def from_json(cls, path: str, data: dict[str, Any]) -> FileTags:
        return cls(
            path,
            data["language"],
            [Definition(n, k, int(ln), int(p)) for n, k, ln, p in data["defs"]],
            {int(k): v for k, v in data["lines"].items()},
            {k: int(v) for k, v in data["refs"].items()},
        )



def join_lines(lines: list[str]) -> str:
    """One line: indentation kept, inner whitespace collapsed, no line-continuation backslash."""
    first = lines[0]
    indent = first[: len(first) - len(first.lstrip())]
    out = ""
    for piece in (" ".join(line.split()) for line in lines):
        if not piece:
            continue
        glue = "" if not out or out.endswith(("(", "[")) or piece.startswith((")", "]", ",")) else " "
        out += glue + piece
    return indent + out.rstrip("\\ ")
