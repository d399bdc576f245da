"""Example calls for corrections, built from the file at hand instead of placeholders.

A small model copies a correction's example literally: shown `old="exact old lines"`, Qwen2.5-Coder-1.5B
called replace_in_file with exactly that. So the example edit quotes a real line of the file the model
last read or edited (else the file the task most likely concerns), near where it looked; a copied
example then fails with a useful message ("old and new are identical") or is the start of a real edit.
With no file at hand the example reads a real file, or lists the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smallcoder.repomap.files import read_source
from smallcoder.tools import Tool
from smallcoder.types import ToolCall

EDIT_TOOL = "replace_in_file"
READ_TOOL = "read_file"
LIST_TOOL = "list_files"
MIN_CHARS, MAX_CHARS = 6, 100  # an example line long enough to be unique, short enough to read
NEAR_LINES = 30  # with a known line, a statement this close beats a `return` further away
_NOT_STATEMENTS = ("#", "//", "/*", "*", '"""', "'''", "@", "def ", "class ", "import ", "from ", "async def ")


@dataclass(frozen=True)
class FileAtHand:
    """The file a model last worked on: `path` relative to the worktree, `line` 1-based (0 = no line)."""

    path: str
    line: int = 0


def file_at_hand(tool: Tool, call: ToolCall) -> FileAtHand | None:
    """The file a successful read or write call worked on, or None (a command, a search, no path)."""
    if tool.kind not in ("read", "write"):
        return None
    path = call.arguments.get("path")
    if not isinstance(path, str) or not path.strip():
        return None
    line = call.arguments.get("start_line")
    return FileAtHand(path.strip(), line if isinstance(line, int) and line > 0 else 0)


def example_line(root: Path, at: FileAtHand) -> str | None:
    """A real line of the file to quote as `old`: a plain statement (no comment, decorator, header or
    import): with a known line, those within NEAR_LINES of it first; then `return` lines; then the nearest. Trailing whitespace
    is dropped, indentation kept. None when the file is missing, binary or has no such line."""
    path = root / at.path
    try:
        text = read_source(path, path.stat().st_size) if path.is_file() else None
    except OSError:
        text = None
    if not text:
        return None
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if MIN_CHARS <= len(stripped) <= MAX_CHARS and not stripped.startswith(_NOT_STATEMENTS):
            found.append((number, line.rstrip()))
    if not found:
        return None
    near = at.line or 1

    def preference(item: tuple[int, str]) -> tuple[bool, bool, int]:
        distance = abs(item[0] - near)
        return (bool(at.line) and distance > NEAR_LINES, not item[1].strip().startswith("return "), distance)

    return min(found, key=preference)[1]


def correction_examples(root: Path, tools: dict[str, Tool], at: FileAtHand | None,
                        focus: str | None) -> dict[str, ToolCall]:
    """Example calls by tool name, each with real arguments: an edit of a real line of the file at hand
    (or of `focus`), a read of that file, a listing of the repository. Tools not in `tools` are left out."""
    examples: dict[str, ToolCall] = {}
    if at is not None and not (root / at.path).is_file():  # a directory listed, a file since deleted
        at = None
    target = at or (FileAtHand(focus) if focus else None)
    line = example_line(root, target) if target else None
    if target and line is not None and EDIT_TOOL in tools:
        examples[EDIT_TOOL] = ToolCall(EDIT_TOOL, {"path": target.path, "old": line, "new": line})
    if target and (root / target.path).is_file() and READ_TOOL in tools:
        examples[READ_TOOL] = ToolCall(READ_TOOL, {"path": target.path})
    if LIST_TOOL in tools:
        examples[LIST_TOOL] = ToolCall(LIST_TOOL, {"path": "."})
    return examples


def first_example(examples: dict[str, ToolCall]) -> ToolCall | None:
    """The example to show when a reply held no call at all: an edit, else a read, else a listing."""
    for name in (EDIT_TOOL, READ_TOOL, LIST_TOOL):
        if name in examples:
            return examples[name]
    return next(iter(examples.values()), None)
