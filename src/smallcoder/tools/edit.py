"""replace_in_file: change one occurrence of a text, tolerating whitespace drift.

Every failure says what to do next: the closest region of the file for a miss,
the line numbers for an ambiguous match, write_file for a whole rewrite. An edit
that would stop a Python file that compiles from compiling is not applied
(textio.refuse_breaking_write, the rule every edit tool keeps).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from smallcoder.errors import ToolError
from smallcoder.tools.base import ToolContext
from smallcoder.tools.elision import refuse_elided_code
from smallcoder.tools.matching import Ambiguous, NotFound, apply_edit
from smallcoder.tools.paths import display_path, resolve_path
from smallcoder.tools.textio import (
    number_lines,
    read_text,
    refuse_breaking_write,
    split_lines,
    syntax_warning,
    write_text,
)

CONTEXT_LINES = 3  # shown around the changed region
MAX_SNIPPET_LINES = 40
MIN_SIMILARITY = 0.4  # below this the "closest region" is noise, not a hint


def replace_in_file(
    ctx: ToolContext,
    path: Annotated[str, Field(description="file path relative to the repository root")],
    old: Annotated[str, Field(description="exact text to replace, with enough lines to be unique")],
    new: Annotated[str, Field(description="replacement text")],
) -> str:
    """Replace one occurrence of old with new in a file."""
    if not old.strip("\r\n"):
        raise ToolError("old is empty; to create or rewrite a whole file use write_file")
    if old == new:
        raise ToolError("old and new are identical, so nothing would change; keep `old` as the file has it and "
                        "write in `new` how those lines must read to fix the bug")
    target = resolve_path(ctx.root, path)
    shown = display_path(ctx.root, target)
    if not target.exists():
        raise ToolError(f"file {shown} does not exist; use write_file to create it")
    original = read_text(target, shown)
    text = original.text
    if original.crlf:  # the file is handled with LF in memory; so must old and new be
        old, new = old.replace("\r\n", "\n"), new.replace("\r\n", "\n")
    refuse_elided_code(new, text, what="the edit", send="`new` with the lines it replaces",
                       python=target.suffix == ".py")

    try:
        edit = apply_edit(text, old, new)
    except Ambiguous as exc:
        lines = sorted(set(exc.lines))
        where = ("lines " if len(lines) > 1 else "line ") + ", ".join(str(n) for n in lines[:20])
        raise ToolError(
            f"old matches {len(exc.lines)} places in {shown} ({where}); "
            "include more surrounding lines in old so it matches exactly one"
        ) from None
    except NotFound as exc:
        raise ToolError(_not_found(shown, text, exc)) from None

    result = edit.text
    if text.endswith("\n") and result and not result.endswith("\n"):
        result += "\n"  # keep the final newline even if old swallowed it
    if result == text:
        raise ToolError("the edit changes nothing (old and new differ only in whitespace the match ignored)")
    refuse_breaking_write(shown, result, text)
    write_text(target, shown, result, like=original)

    how = f" (matched {edit.how})" if edit.how else ""
    out = f"edited {shown}{how}. " + _snippet(result, edit.first, edit.last)
    return out + syntax_warning(shown, result, before=text)


def _snippet(text: str, first: int, last: int) -> str:
    lines = split_lines(text)
    if not lines:
        return "The file is now empty."
    lo = max(0, first - CONTEXT_LINES)
    hi = min(len(lines), last + CONTEXT_LINES + 1)
    hi = min(hi, lo + MAX_SNIPPET_LINES)
    return f"Lines {lo + 1}-{hi} now:\n" + number_lines(lines[lo:hi], lo + 1)


def _not_found(shown: str, text: str, exc: NotFound) -> str:
    head = f"old text not found in {shown}"
    closest = exc.closest
    if closest is None or closest[2] < MIN_SIMILARITY:
        return f"{head}, nor anything similar; read_file {shown} to see its current content"
    first, last, _ = closest
    lines = split_lines(text)[first : last + 1]
    return (
        f"{head}. Did you mean lines {first + 1}-{last + 1}?\n"
        + number_lines(lines, first + 1)
        + "\nCopy old exactly from the file (without line numbers), or rewrite the whole function or file with write_file."
    )
