"""Rewrite a whole Python function or class: the edit shape small models produce most reliably.

Exact-text replacement asks the model to copy the old code character for
character; rewriting a whole definition only asks for the new version.
"""

from __future__ import annotations

import ast
import textwrap
from typing import Annotated

from pydantic import Field

from smallcoder.errors import ToolError
from smallcoder.tools.base import ToolContext
from smallcoder.tools.paths import display_path, resolve_path
from smallcoder.tools.textio import read_text, refuse_breaking_write, split_lines, syntax_warning, write_text

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def defined_names(code: str) -> list[str]:
    """Names of the top-level functions and classes in a code snippet ([] if it does not parse)."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, _DEFS)]


def _span(node: ast.AST) -> tuple[int, int]:
    """First line (decorators included) and last line of a definition node, 1-based."""
    line: int = getattr(node, "lineno", 1)
    end: int | None = getattr(node, "end_lineno", None)
    first = min([line] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first, end or line


def _find(tree: ast.Module, name: str, shown: str) -> ast.AST | None:
    found = [n for n in ast.walk(tree) if isinstance(n, _DEFS) and n.name == name]
    top = [n for n in found if n in tree.body]
    if len(found) > 1 and len(top) != 1:
        lines = ", ".join(str(n.lineno) for n in found)
        raise ToolError(f"{name} is defined {len(found)} times in {shown} (lines {lines}); use replace_in_file")
    return top[0] if top else (found[0] if found else None)


def rewrite_function(
    ctx: ToolContext,
    path: Annotated[str, Field(description="Python file path relative to the repository root")],
    code: Annotated[str, Field(description="the complete new definition(s), def or class")],
) -> str:
    """Replace whole functions or classes in a Python file with complete new versions."""
    target = resolve_path(ctx.root, path)
    shown = display_path(ctx.root, target)
    if target.suffix != ".py":
        raise ToolError(f"{shown} is not a Python file; use replace_in_file or write_file")
    if not target.exists():
        raise ToolError(f"file {shown} does not exist; use write_file to create it")
    code = textwrap.dedent(code).strip("\n")
    try:
        new_tree = ast.parse(code)
    except SyntaxError as e:
        raise ToolError(f"code does not parse: {e.msg} at line {e.lineno}; send the complete definition") from None
    new_defs = [n for n in new_tree.body if isinstance(n, _DEFS)]
    if not new_defs:
        raise ToolError("code holds no def or class; give the complete new function")
    original = read_text(target, shown)
    try:
        tree = ast.parse(original.text)
    except SyntaxError as e:
        raise ToolError(f"{shown} does not parse ({e.msg}, line {e.lineno}); fix it with replace_in_file") from None

    lines = split_lines(original.text)
    code_lines = code.split("\n")
    replaced, missing = [], []
    edits = []
    for new in new_defs:
        old = _find(tree, new.name, shown)
        if old is None:
            missing.append(new.name)
            continue
        first, last = _span(old)
        indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        n_first, n_last = _span(new)
        body = [indent + ln if ln.strip() else "" for ln in code_lines[n_first - 1 : n_last]]
        edits.append((first, last, body))
        replaced.append(new.name)
    if not replaced:
        raise ToolError(f"{', '.join(missing)} not found in {shown}; to add new code use replace_in_file")
    for first, last, body in sorted(edits, reverse=True):
        lines[first - 1 : last] = body
    result = "\n".join(lines) + ("\n" if original.text.endswith("\n") else "")
    if result == original.text:
        raise ToolError(
            f"your code is identical to what {shown} already has, so nothing changed and the bug is still there; "
            "write a corrected version"
        )
    refuse_breaking_write(shown, result, original.text, what="rewrite_function")
    write_text(target, shown, result, like=original)
    note = f" ({', '.join(missing)} not found, ignored)" if missing else ""
    return f"rewrote {', '.join(replaced)} in {shown}{note}." + syntax_warning(shown, result, before=original.text)
