"""File tools: list the project's files, read a file with line numbers, write a whole file."""

from __future__ import annotations

import difflib
from collections import Counter
from typing import Annotated

from pydantic import Field

from smallcoder.errors import ToolError
from smallcoder.tools.base import ToolContext
from smallcoder.tools.elision import refuse_elided_code
from smallcoder.tools.listing import project_files
from smallcoder.tools.paths import display_path, resolve_path
from smallcoder.tools.textio import (
    number_lines,
    read_text,
    refuse_breaking_write,
    split_lines,
    syntax_warning,
    write_text,
)

MAX_LIST_ENTRIES = 200
READ_WINDOW = 250  # lines shown when no range is given
MAX_LINE_CHARS = 400  # minified code would otherwise eat the whole observation

PathArg = Annotated[str, Field(description="file path relative to the repository root")]


def list_files(ctx: ToolContext, path: Annotated[str, Field(description="directory to list")] = ".") -> str:
    """List the project's files under a directory (ignored files are skipped)."""
    target = resolve_path(ctx.root, path)
    shown = display_path(ctx.root, target)
    if not target.exists():
        raise ToolError(f"{shown} does not exist" + _suggest(ctx, shown))
    files = project_files(ctx.root, shown)
    if not files:
        return f"no files under {shown} (it is empty or ignored by .gitignore)"
    entries, summarised = _summarise(files, "" if shown == "." else shown, MAX_LIST_ENTRIES)
    out = "\n".join(entries)
    if summarised:
        out += f"\n[{len(files)} files; directories are summarised: call list_files on one to see inside]"
    return out


def read_file(
    ctx: ToolContext,
    path: PathArg,
    start_line: Annotated[int | None, Field(description="first line, 1-based")] = None,
    end_line: Annotated[int | None, Field(description="last line, inclusive")] = None,
) -> str:
    """Show a file with line numbers; use start_line/end_line for a part of a long file."""
    target = resolve_path(ctx.root, path)
    shown = display_path(ctx.root, target)
    if not target.exists():
        raise ToolError(f"file {shown} does not exist" + _suggest(ctx, shown))
    lines = split_lines(read_text(target, shown).text)
    total = len(lines)
    if total == 0:
        return f"{shown} is empty"
    start = max(1, start_line or 1)
    if start > total:
        raise ToolError(f"start_line {start} is past the end of {shown}, which has {total} lines")
    if end_line is not None and end_line < start:
        raise ToolError(f"end_line {end_line} is before start_line {start}")
    end = min(total, end_line if end_line is not None else start + READ_WINDOW - 1)

    # Stay inside the observation budget: long files are paged, never cut in the middle.
    budget = max(1000, ctx.max_observation_chars - 200)
    width = max(4, len(str(end)))
    shown_lines: list[str] = []
    used = 0
    for line in lines[start - 1 : end]:
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + f" ... [line cut, {len(line)} chars]"
        used += len(line) + width + 3
        if shown_lines and used > budget:
            break
        shown_lines.append(line)
    last = start + len(shown_lines) - 1
    out = number_lines(shown_lines, start, width)
    if start > 1 or last < total:
        out += f"\n[lines {start}-{last} of {total}"
        out += f"; read_file with start_line={last + 1} for more]" if last < total else "]"
    return out


def write_file(
    ctx: ToolContext,
    path: PathArg,
    content: Annotated[str, Field(description="the complete new file content")],
) -> str:
    """Create a file or replace its whole content."""
    target = resolve_path(ctx.root, path)
    shown = display_path(ctx.root, target)
    old = read_text(target, shown) if target.is_file() else None
    refuse_elided_code(content, old.text if old else None, what="write_file", send="the complete file",
                       python=target.suffix == ".py")
    refuse_breaking_write(shown, content, old.text if old else None, what="write_file")
    write_text(target, shown, content, like=old)
    n = len(split_lines(content))
    out = f"{'replaced' if old else 'created'} {shown} ({n} line{'s' if n != 1 else ''})"
    return out + syntax_warning(shown, content, before=old.text if old else None)


def _summarise(files: list[str], base: str, cap: int) -> tuple[list[str], bool]:
    """Files one by one if they fit; else the deepest tree level that fits, with `dir/ (N files)` lines."""
    if len(files) <= cap:
        return files, False
    base_depth = len(base.split("/")) if base else 0
    best: list[str] | None = None
    for depth in range(base_depth + 1, base_depth + 64):
        entries, grouped = _entries_at(files, depth)
        if len(entries) > cap:
            break
        best = entries
        if not grouped:
            break
    if best is None:
        entries, _ = _entries_at(files, base_depth + 1)
        best = entries[:cap] + [f"... {len(entries) - cap} more entries"]
    return best, True


def _entries_at(files: list[str], depth: int) -> tuple[list[str], bool]:
    counts: Counter[str] = Counter()
    keyed: dict[str, str] = {}
    for f in files:
        parts = f.split("/")
        if len(parts) <= depth:
            keyed[f] = f
        else:
            d = "/".join(parts[:depth]) + "/"
            counts[d] += 1
    for d, n in counts.items():
        keyed[d] = f"{d} ({n} file{'s' if n != 1 else ''})"
    return [keyed[k] for k in sorted(keyed)], bool(counts)


def _suggest(ctx: ToolContext, shown: str) -> str:
    """'; did you mean ...' with the project files whose path is closest to a wrong one."""
    files = project_files(ctx.root)
    if not files:
        return ""
    name = shown.rsplit("/", 1)[-1]
    by_name = [f for f in files if f.rsplit("/", 1)[-1] == name]
    close = by_name[:3] or difflib.get_close_matches(shown, files, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""
