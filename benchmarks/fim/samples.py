"""Held-out middles from a real repository's recent code, in the two shapes FIM benchmarks use
(HumanEval-infilling single-line and SAFIM/HumanEval-infilling AST-aligned blocks):

- line: one statement on one line inside a function; the cursor sits after its indentation;
- block: one statement spanning 2–8 lines (an if/for/with/try block, a call over several lines).

"Recent": the statement's first line was added by a commit after ``since`` and is still in HEAD,
so a model trained before that date cannot have seen it.
"""

from __future__ import annotations

import ast
import random
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Sample:
    """One held-out middle. ``path`` relative to the repository; ``line`` 0-based first line."""

    id: str
    path: str
    kind: str  # "line" or "block"
    line: int
    col: int
    prefix: str
    suffix: str
    middle: str
    function: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def recent_lines(repo: Path, since: str, under: str) -> set[str]:
    """Stripped lines added under ``under`` by non-merge commits since ``since`` (git date)."""
    log = subprocess.run(["git", "-C", str(repo), "log", f"--since={since}", "--no-merges", "-p", "--unified=0",
                          "--format=", "--", under], capture_output=True, text=True, check=True).stdout
    return {ln[1:].strip() for ln in log.split("\n") if ln.startswith("+") and not ln.startswith("+++")}


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant) and isinstance(
        node.value.value, str)


def candidates(repo: Path, rel: str, recent: set[str]) -> list[Sample]:
    text = (repo / rel).read_text(encoding="utf-8")
    lines = text.split("\n")
    out: list[Sample] = []
    seen: set[tuple[int, int]] = set()
    for fn in _functions(ast.parse(text)):
        for node in ast.walk(fn):
            if not isinstance(node, ast.stmt) or node is fn or _is_docstring(node) or isinstance(node, ast.Pass):
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
            head = lines[first]
            if head.strip() not in recent or len(head.strip()) < 10 or (first, last) in seen:
                continue
            seen.add((first, last))
            span = last - first + 1
            kind = "line" if span == 1 else "block" if 2 <= span <= 8 else ""
            if not kind:
                continue
            col = len(head) - len(head.lstrip())
            offset = sum(len(ln) + 1 for ln in lines[:first]) + col
            end = sum(len(ln) + 1 for ln in lines[:last]) + len(lines[last])
            out.append(Sample(f"{rel}:{first + 1}", rel, kind, first, col, text[:offset], text[end:],
                              text[offset:end], fn.name))
    return out


def make_samples(repo: Path, *, since: str, under: str, n_lines: int, n_blocks: int, seed: int = 15) -> list[Sample]:
    """``n_lines`` line and ``n_blocks`` block samples, drawn with ``seed`` from every Python file under
    ``under`` (tests excluded), at most a quarter of each kind from one file."""
    recent = recent_lines(repo, since, under)
    files = sorted(p.relative_to(repo).as_posix() for p in (repo / under).rglob("*.py") if "test" not in p.name)
    pool = [s for rel in files for s in candidates(repo, rel, recent)]
    rng = random.Random(seed)
    rng.shuffle(pool)
    chosen: list[Sample] = []
    for kind, n in (("line", n_lines), ("block", n_blocks)):
        per_file: dict[str, int] = {}
        for s in pool:
            if s.kind == kind and per_file.get(s.path, 0) < max(1, n // 4) and sum(
                    c.kind == kind for c in chosen) < n:
                per_file[s.path] = per_file.get(s.path, 0) + 1
                chosen.append(s)
    return chosen
