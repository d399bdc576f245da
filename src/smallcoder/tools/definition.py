"""Rewrite a whole Python function or class: the edit shape small models produce most reliably.

Exact-text replacement asks the model to copy the old code character for
character; rewriting a whole definition only asks for the new version. A
top-level `NAME = …` in the code replaces the module's own assignment of NAME
(tables of keywords, regexes, settings: where many real bugs live). A name
defined several times goes to the definition most like the new code.
"""

from __future__ import annotations

import ast
import difflib
import re
import textwrap
from pathlib import Path
from typing import Annotated

from pydantic import Field

from smallcoder.errors import ToolError
from smallcoder.repomap.testpaths import is_test_path
from smallcoder.tools.base import ToolContext
from smallcoder.tools.elision import refuse_elided_code
from smallcoder.tools.listing import project_files
from smallcoder.tools.paths import display_path, resolve_path
from smallcoder.tools.textio import read_text, refuse_breaking_write, split_lines, syntax_warning, write_text

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# A line of only quotes or a fence before the code (a docstring's start cut off, a stray ```)
_JUNK_LINE = re.compile(r"""\s*(?:"{1,3}|'{1,3}|```[\w+-]*)\s*""")
CLEAR_MARGIN = 0.1  # how much more alike the closest of several same-named definitions must be


def defined_names(code: str) -> list[str]:
    """Names of the top-level functions and classes in a code snippet, or, in a snippet that is nothing
    but top-level `NAME = …` statements (a table rewritten), those names; [] if it does not parse."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    defs = [node.name for node in tree.body if isinstance(node, _DEFS)]
    assigned = [_assigned(node) for node in tree.body]
    return defs or ([n for n in assigned if n] if tree.body and all(assigned) else [])


def _span(node: ast.AST) -> tuple[int, int]:
    """First line (decorators included) and last line of a definition node, 1-based."""
    line: int = getattr(node, "lineno", 1)
    end: int | None = getattr(node, "end_lineno", None)
    first = min([line] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first, end or line


def _assigned(node: ast.AST) -> str | None:
    """The name a top-level `NAME = …` / `NAME: T = …` statement binds, else None."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return node.target.id
    return None


def _name(node: ast.AST) -> str:
    return getattr(node, "name", None) or _assigned(node) or ""


def _find(tree: ast.Module, new: ast.AST, new_code: str, source: list[str], shown: str) -> tuple[ast.AST | None, str]:
    """The definition (or top-level assignment) `new` replaces, and a note when there were several."""
    name = _name(new)
    if not isinstance(new, _DEFS):
        found = [n for n in tree.body if _assigned(n) == name]
    else:
        found = [n for n in ast.walk(tree) if isinstance(n, _DEFS) and n.name == name]
        top = [n for n in found if n in tree.body]
        if len(top) == 1:
            return top[0], ""
    if len(found) <= 1:
        return (found[0] if found else None), ""
    # Several: the one most like the new code, when it is clearly so (a method of one of two classes).
    def likeness(node: ast.AST) -> float:
        first, last = _span(node)
        old = textwrap.dedent("\n".join(source[first - 1:last]))
        return difflib.SequenceMatcher(None, old, new_code, autojunk=False).ratio()
    ranked = sorted(found, key=likeness, reverse=True)
    lines = ", ".join(str(n.lineno) for n in found)
    if likeness(ranked[0]) - likeness(ranked[1]) < CLEAR_MARGIN:
        raise ToolError(f"{name} is defined {len(found)} times in {shown} (lines {lines}) and your code is as "
                        "like one as another; use replace_in_file with lines that only that one has")
    return ranked[0], f"the one at line {ranked[0].lineno} of {len(found)}, the closest to your code"


ELSEWHERE_SHOWN = 3  # files named when a definition lives in another file than the one given


def _defined_elsewhere(ctx: ToolContext, name: str, given: Path) -> str:
    """'it is defined in a.py (line 12): rewrite it there', naming up to ELSEWHERE_SHOWN other Python files
    of the project (tests after the rest) that define or assign `name` at line start; "" when none does.
    Small models often name the module that uses a function instead of the one that defines it."""
    pattern = re.compile(rf"^[ \t]*(?:(?:async[ \t]+)?def|class)[ \t]+{re.escape(name)}\b|^{re.escape(name)}[ \t]*(?::[^=\n]*)?=(?!=)",
                         re.MULTILINE)
    found: list[tuple[bool, str, int]] = []
    for rel in project_files(ctx.root):
        path = ctx.root / rel
        if not rel.endswith(".py") or path == given:
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        m = pattern.search(text)
        if m:
            found.append((is_test_path(rel), rel, text.count("\n", 0, m.start()) + 1))
    if not found:
        return ""
    found.sort()
    where = ", ".join(f"{rel} (line {line})" for _, rel, line in found[:ELSEWHERE_SHOWN])
    more = f" and {len(found) - ELSEWHERE_SHOWN} more files" if len(found) > ELSEWHERE_SHOWN else ""
    return f"it is defined in {where}{more}: rewrite it there"


def _parse_code(code: str) -> tuple[str, ast.Module]:
    """The model's code dedented and parsed; a line or two of lone quotes or fences before it, and any
    after it (a JSON string written as a Python triple-quoted string leaves `""` at both ends), are dropped. Raises
    ToolError when it does not parse."""
    lines = code.strip("\n").split("\n")
    while len(lines) > 1 and _JUNK_LINE.fullmatch(lines[-1]):
        lines.pop()
    first_error: SyntaxError | None = None
    for skip in range(min(3, len(lines))):
        if skip and not _JUNK_LINE.fullmatch(lines[skip - 1]):
            break
        text = textwrap.dedent("\n".join(lines[skip:])).strip("\n")
        try:
            return text, ast.parse(text)
        except SyntaxError as e:
            first_error = first_error or e
    msg, line = (first_error.msg, first_error.lineno) if first_error else ("no code", 1)
    raise ToolError(f"code does not parse: {msg} at line {line}; send the complete definition")


def rewrite_function(
    ctx: ToolContext,
    path: Annotated[str, Field(description="Python file path relative to the repository root")],
    code: Annotated[str, Field(description="the complete new definition(s): def, class or top-level NAME = …")],
) -> str:
    """Replace whole functions, classes or top-level assignments in a Python file with complete new versions."""
    target = resolve_path(ctx.root, path)
    shown = display_path(ctx.root, target)
    if target.suffix != ".py":
        raise ToolError(f"{shown} is not a Python file; use replace_in_file or write_file")
    if not target.exists():
        raise ToolError(f"file {shown} does not exist; use write_file to create it")
    original = read_text(target, shown)
    refuse_elided_code(code, original.text, what="rewrite_function", send="the complete definition")
    code, new_tree = _parse_code(code)
    new_defs = [n for n in new_tree.body if isinstance(n, _DEFS) or _assigned(n)]
    if not new_defs:
        raise ToolError("code holds no def, class or top-level NAME = … to replace; give the complete new "
                        "function, or add lines with replace_in_file")
    try:
        tree = ast.parse(original.text)
    except SyntaxError as e:
        raise ToolError(f"{shown} does not parse ({e.msg}, line {e.lineno}); fix it with replace_in_file") from None

    lines = split_lines(original.text)
    code_lines = code.split("\n")
    replaced: list[str] = []
    missing: list[str] = []
    unassigned: list[str] = []  # NAME = … the module does not make: example code, left out
    edits = []
    for new in new_defs:
        first_new, last_new = _span(new)
        old, which = _find(tree, new, "\n".join(code_lines[first_new - 1:last_new]), lines, shown)
        if old is None:
            (missing if isinstance(new, _DEFS) else unassigned).append(_name(new))
            continue
        first, last = _span(old)
        indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        n_first, n_last = _span(new)
        body = [indent + ln if ln.strip() else "" for ln in code_lines[n_first - 1 : n_last]]
        edits.append((first, last, body))
        replaced.append(_name(new) + (f" ({which})" if which else ""))
    if not replaced:
        elsewhere = _defined_elsewhere(ctx, (missing or unassigned)[0], target)
        raise ToolError(f"{', '.join(missing or unassigned)} not "
                        f"{'found' if missing else 'assigned at the top level'} in {shown}; "
                        + (elsewhere or "to add new code use replace_in_file"))
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
