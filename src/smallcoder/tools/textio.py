"""Reading and writing project text files the way the file tools need.

Files are decoded as UTF-8; binary or undecodable files are refused with a message
the model can act on. CRLF files are handled as LF in memory and written back as
CRLF, and a UTF-8 BOM survives an edit, so edits never produce whole-file diffs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smallcoder.errors import ToolError

MAX_TEXT_BYTES = 10_000_000  # larger files are data, not source; search them instead
_BOM = "\ufeff"


@dataclass
class TextFile:
    text: str  # newlines are "\n" when crlf is True; otherwise exactly as on disk
    crlf: bool = False
    bom: bool = False

    def encode(self, text: str) -> bytes:
        """`text` (LF newlines) in this file's conventions."""
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return ((_BOM if self.bom else "") + text).encode("utf-8")


def read_text(path: Path, shown: str) -> TextFile:
    """The decoded file, or ToolError when it is missing, a directory, binary or too large."""
    if path.is_dir():
        raise ToolError(f"{shown} is a directory; use list_files to see its files")
    if not path.exists():
        raise ToolError(f"file {shown} does not exist")
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise ToolError(f"{shown} is too large to read ({size:,} bytes); use search to find the relevant lines")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ToolError(f"cannot read {shown}: {exc.strerror or exc}") from None
    return decode(data, shown)


def decode(data: bytes, shown: str) -> TextFile:
    if b"\0" in data:
        raise ToolError(f"{shown} is a binary file ({len(data):,} bytes); it cannot be shown or edited as text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{shown} is not UTF-8 text (binary or another encoding); it cannot be shown as text") from None
    bom = text.startswith(_BOM)
    if bom:
        text = text[1:]
    # CRLF mode only when every newline is CRLF; mixed files are left byte-for-byte as they are.
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    if crlf:
        text = text.replace("\r\n", "\n")
    return TextFile(text=text, crlf=crlf, bom=bom)


def write_text(path: Path, shown: str, text: str, like: TextFile | None = None) -> None:
    """Write `text`, keeping the line endings and BOM of the file it replaces (`like`)."""
    if path.is_dir():
        raise ToolError(f"{shown} is a directory; give a file path")
    data = (like or TextFile(text="")).encode(text)
    if len(data) > MAX_TEXT_BYTES:  # the same bound as reading: generated data does not belong in a text edit
        raise ToolError(f"{shown}: {len(data):,} bytes is too large to write (the limit is {MAX_TEXT_BYTES:,})")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise ToolError(f"cannot write {shown}: {exc.strerror or exc}") from None


def split_lines(text: str) -> list[str]:
    """Lines split on "\n" only (as git and editors count them), without the final empty piece."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def number_lines(lines: list[str], first: int, width: int | None = None) -> str:
    """`  12| code` lines; `first` is the 1-based number of lines[0]."""
    width = width or max(4, len(str(first + len(lines) - 1)))
    return "\n".join(f"{first + i:>{width}}| {line}" for i, line in enumerate(lines))


def python_syntax_error(shown: str, text: str) -> str | None:
    """For a .py file, a one-line description of its first syntax error, or None."""
    problem = python_syntax_problem(shown, text)
    return problem[0] if problem else None


def python_syntax_problem(shown: str, text: str) -> tuple[str, int | None] | None:
    """For a .py file that does not compile: (one-line description, 1-based line number or None)."""
    if not shown.endswith((".py", ".pyi")):
        return None
    try:
        compile(text, shown, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else "unknown line"
        bad = (exc.text or "").rstrip("\n")
        return f"{type(exc).__name__}: {exc.msg} ({where})" + (f": {bad.strip()}" if bad.strip() else ""), exc.lineno
    except ValueError as exc:  # e.g. source with null bytes
        return f"{type(exc).__name__}: {exc}", None
    return None


def quote_line(text: str, lineno: int) -> str:
    """Line `lineno` of `text` and the one before, numbered as read_file shows them, with the
    indentation spelled out when it holds tabs (models cannot tell a tab from spaces)."""
    lines = split_lines(text)
    if not 1 <= lineno <= len(lines):
        return ""
    first = max(1, lineno - 1)
    shown = number_lines(lines[first - 1 : lineno], first)
    indent = lines[lineno - 1][: len(lines[lineno - 1]) - len(lines[lineno - 1].lstrip(" \t"))]
    if "\t" in indent:
        tabs, spaces = indent.count("\t"), indent.count(" ")
        shown += f"\n(line {lineno} is indented with {tabs} tab(s)" + (f" and {spaces} space(s))" if spaces else ")")
    return shown


def refuse_breaking_write(shown: str, after: str, before: str | None, *, what: str = "the edit") -> None:
    """Raise ToolError when writing `after` would leave a Python file that does not compile.

    The rule every edit tool keeps: a file that compiled (or a new file) is never written in a state that
    does not; the file stays as it was and the error quotes the offending line as it would read, so the
    model can send a fixed version. A file that already did not compile may be written (that is how it
    gets fixed). Same idea as SWE-agent's linted edits: a refused edit costs one step, a broken file costs
    every later test run.
    """
    broken = python_syntax_problem(shown, after)
    if not broken or (before is not None and python_syntax_problem(shown, before)):
        return
    message, lineno = broken
    quoted = quote_line(after, lineno) if lineno else ""
    raise ToolError(
        f"{what} was not applied: {shown} would {'no longer compile' if before is not None else 'not compile'}: "
        f"{message}" + (f"\nWith it, the file would read:\n{quoted}" if quoted else "")
        + "\nSend it again with that fixed."
    )


def syntax_warning(shown: str, text: str, before: str | None) -> str:
    """A warning line to append to an observation when a written .py file does not compile."""
    err = python_syntax_error(shown, text)
    if not err:
        return ""
    if before is not None and python_syntax_error(shown, before):
        return f"\nWARNING: {shown} does not compile (it did not before this change either): {err}. Fix it."
    return f"\nWARNING: {shown} no longer compiles: {err}. Fix it."
