"""The house holds by itself: no module imports a floor above its own, and no two parts (or two
modules) import each other. Floors follow DESIGN.md; a new package must be given one here.

Imports under `if TYPE_CHECKING:` are annotations, not dependencies, and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "smallcoder"

# floor → parts; a part is a top-level module or package of smallcoder (or a sub-module named in full).
FLOORS: list[set[str]] = [
    {"types", "errors", "paths", "secrets", "config", "__init__", "__main__", "examples", "units"},
    {"models", "protocol", "workspace", "repomap", "localize", "fim.formats", "review"},
    {"backends", "tools"},
    {"agent", "sandbox", "fim"},
    {"store", "github"},
    {"session", "viewer", "lsp", "dataset"},
    {"cli"},
]
LEVEL = {part: floor for floor, parts in enumerate(FLOORS) for part in parts}


def part_of(module: str) -> str:
    """'smallcoder.fim.formats.qwen' → 'fim.formats' when named in FLOORS, else the top-level part."""
    names = module.split(".")[1:]
    for n in range(len(names), 0, -1):
        if ".".join(names[:n]) in LEVEL and n > 1:
            return ".".join(names[:n])
    return names[0] if names else "__init__"


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        out[name] = path
    return out


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The smallcoder modules `name` imports at run time (inside functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found.update(t for t in targets if t in known and t.startswith("smallcoder"))
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports(name, path, known) for name, path in mods.items()}


def test_every_part_has_a_floor() -> None:
    missing = sorted({part_of(m) for m in modules()} - set(LEVEL))
    assert not missing, f"give these parts a floor in tests/test_layers.py: {missing}"


def test_no_import_runs_upward() -> None:
    upward = []
    for module, targets in graph().items():
        for target in targets:
            src, dst = part_of(module), part_of(target)
            if src != dst and LEVEL.get(dst, 0) > LEVEL.get(src, 0):
                upward.append(f"{module} (floor {LEVEL.get(src)}) imports {target} (floor {LEVEL.get(dst)})")
    assert not upward, "\n".join(sorted(upward))


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def test_no_cycles_between_parts() -> None:
    parts: dict[str, set[str]] = {}
    for module, targets in graph().items():
        src = part_of(module)
        parts.setdefault(src, set()).update(part_of(t) for t in targets if part_of(t) != src)
    assert _cycles(parts) == []


def test_no_cycles_between_modules() -> None:
    edges = {m: {t for t in ts if not m.startswith(t + ".") and not t.startswith(m + ".")}
             for m, ts in graph().items()}
    assert _cycles(edges) == []


def test_the_checker_sees_an_upward_import() -> None:
    """The rule can fail: a made-up edge from the ground floor to the CLI is upward."""
    assert LEVEL[part_of("smallcoder.cli.app")] > LEVEL[part_of("smallcoder.paths")]
    assert _cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b"]]
