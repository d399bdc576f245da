"""What the user typed, turned into the message the model gets: `@path` and `@path#L10-40` attach files.

    expand("look at @stats.py#L1-2 please", worktree)
    -> Expanded(text="look at stats.py please\n\nstats.py (lines 1-2):\n```\n...\n```", attached=["stats.py#L1-2"])

A word starting with @ attaches only when it names a file in the worktree, so
e-mail addresses and decorators stay as typed. Files are read from the run's
worktree (the user's files plus the chat's changes), never from outside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.errors import ToolError
from smallcoder.tools.paths import resolve_path

MENTION = re.compile(r"(?<![\w@])@([\w./-]+?)(?:#L(\d+)(?:-L?(\d+))?)?(?=[\s,;:!?)]|\.(?:\s|$)|$)")
MAX_ATTACH_CHARS = 24_000  # one file's share; more is cut with a note (the model can read_file the rest)


@dataclass
class Expanded:
    text: str
    attached: list[str] = field(default_factory=list)  # what was attached, as the user wrote it
    attachments: str = ""  # the attached blocks alone (for /context)


def expand(typed: str, worktree: Path) -> Expanded:
    """The message for the model: `typed` with each @mention as a plain path, and the files after it."""
    blocks: list[str] = []
    attached: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, start, end = match.group(1), match.group(2), match.group(3)
        block = _attachment(worktree, name, int(start) if start else None, int(end) if end else None)
        if block is None:
            return match.group(0)
        blocks.append(block)
        attached.append(match.group(0)[1:])
        return name

    text = MENTION.sub(replace, typed)
    attachments = "\n\n".join(blocks)
    return Expanded(text + ("\n\n" + attachments if attachments else ""), attached, attachments)


def _attachment(worktree: Path, name: str, start: int | None, end: int | None) -> str | None:
    try:
        path = resolve_path(worktree, name)
    except ToolError:
        return None
    if not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    rel = path.relative_to(worktree.resolve()).as_posix()
    label = rel
    if start is not None:
        end = end or start
        start, end = max(1, start), min(len(lines), max(start, end))
        lines = lines[start - 1:end]
        label = f"{rel} (lines {start}-{end})"
    body = "\n".join(lines)
    if len(body) > MAX_ATTACH_CHARS:
        body = body[:MAX_ATTACH_CHARS] + f"\n[... cut at {MAX_ATTACH_CHARS} characters; read_file shows the rest]"
    return f"{label}:\n```\n{body}\n```"


def command_attachment(command: str, exit_code: int | None, output: str) -> str:
    """A `!cmd` run, as the block attached to the next message."""
    status = "timed out" if exit_code is None else f"exit code {exit_code}"
    return f"I ran `{command}` ({status}):\n```\n{output.rstrip() or '(no output)'}\n```"
