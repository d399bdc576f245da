"""Regex search over the project's files, .gitignore respected.

The pattern is checked with Python's `re` (the syntax models know best) and run
with `git grep -P` (Perl-compatible, so `\\d`, `\\w` and lazy quantifiers mean
what the model expects). Where git cannot (no repository, git built without
PCRE), the same search runs in Python over the project's files.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Annotated

from pydantic import Field

from smallcoder.errors import ToolError
from smallcoder.tools.base import ToolContext
from smallcoder.tools.listing import project_files
from smallcoder.tools.paths import display_path, resolve_path

MAX_MATCHES = 50
MAX_MATCH_CHARS = 200  # one minified line must not fill the observation


def search(
    ctx: ToolContext,
    pattern: Annotated[str, Field(description="regular expression")],
    path: Annotated[str, Field(description="file or directory to search")] = ".",
) -> str:
    """Search file contents for a regex; prints path:line: text."""
    if not pattern:
        raise ToolError("pattern is empty; give a regular expression to search for")
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ToolError(
            f"invalid regex {pattern!r}: {exc}; escape special characters such as ( ) [ ] . * + ? with a backslash"
        ) from None
    target = resolve_path(ctx.root, path)
    shown = display_path(ctx.root, target)
    if not target.exists():
        raise ToolError(f"{shown} does not exist")

    found = _git_grep(ctx.root, pattern, shown)
    if found is None:
        found = _python_grep(ctx.root, regex, shown)
    matches, total = found
    where = "" if shown == "." else f" in {shown}"
    if total == 0:
        return f"no matches for {pattern!r}{where}"
    out = "\n".join(matches)
    if total > len(matches):
        out += f"\n[{len(matches)} of {total} matches shown; narrow the pattern or the path]"
    return out


def _format(path: str, line: str | int, text: str) -> str:
    text = text.rstrip("\r\n")
    if len(text) > MAX_MATCH_CHARS:
        text = text[:MAX_MATCH_CHARS] + " ..."
    return f"{path}:{line}: {text}"


def _git_grep(root: Path, pattern: str, sub: str) -> tuple[list[str], int] | None:
    """(first matches, total) via git grep, or None when git cannot run this search."""
    cmd = ["git", "grep", "-n", "-I", "-z", "-P", "--untracked", "--no-color", "-e", pattern, "--", sub]
    try:
        proc = subprocess.run(cmd, cwd=root, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode == 1 and not proc.stderr:
        return [], 0
    if proc.returncode != 0:
        return None
    matches: list[str] = []
    total = 0
    for record in proc.stdout.decode("utf-8", "replace").split("\n"):
        parts = record.split("\0", 2)
        if len(parts) != 3:
            continue
        total += 1
        if len(matches) < MAX_MATCHES:
            matches.append(_format(*parts))
    return matches, total


def _python_grep(root: Path, regex: re.Pattern[str], sub: str) -> tuple[list[str], int]:
    matches: list[str] = []
    total = 0
    for name in project_files(root, sub):
        try:
            data = (root / name).read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue  # binary, as git grep -I would skip it
        for number, line in enumerate(data.decode("utf-8", "replace").split("\n"), start=1):
            if regex.search(line):
                total += 1
                if len(matches) < MAX_MATCHES:
                    matches.append(_format(name, number, line))
    return matches, total
