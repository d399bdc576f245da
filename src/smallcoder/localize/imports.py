"""Which repository files a Python file imports: what a failing test exercises.

When several files define the name a report mentions, the one the failing test imports is the one
it ran; the first prompt and the localization both use this.
"""

from __future__ import annotations

import ast
from pathlib import Path

from smallcoder.repomap.files import read_source


def imported_modules(root: Path, paths: list[str], known: set[str]) -> set[str]:
    """The repository files (relative paths, from `known`) that the Python files `paths` import, absolute
    (`from stats import mean`, `import pkg.mod`, resolved under any source folder: `src/pkg/mod.py`) and
    relative (`from .mod import x`). Files that do not parse import nothing."""
    out: set[str] = set()
    for rel in paths:
        text = _read(root / rel) if rel.endswith(".py") else None
        try:
            tree = ast.parse(text or "")
        except (SyntaxError, ValueError):
            continue
        package = Path(rel).parent
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                dotted = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package
                    for _ in range(node.level - 1):
                        up = up.parent
                    base = ".".join([*up.parts, *base.split(".")]).strip(".") if base else ".".join(up.parts)
                dotted = [base, *(f"{base}.{a.name}" if base else a.name for a in node.names)]
            else:
                continue
            for name in dotted:
                stem = name.replace(".", "/")
                for cand in (f"{stem}.py", f"{stem}/__init__.py"):
                    out.update(f for f in known if f == cand or f.endswith("/" + cand))
    return out


def _read(path: Path) -> str | None:
    try:
        return read_source(path, path.stat().st_size)
    except OSError:
        return None
