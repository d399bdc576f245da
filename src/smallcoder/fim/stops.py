"""Stop rules: where a raw middle ends, so the editor gets only what belongs at the cursor.

Applied to the text as it streams (the engine stops generating as soon as a rule fires) and
once more to the final text. The rules, in order:

1. any special token of the family ends the middle (formats.strip_special);
2. mid-line (text right of the cursor), or after code that opens no block (``x = |``), the middle
   is one line: a small model asked to fill ``foo(|)`` must not write three more statements;
3. a line equal to the suffix's first non-blank line ends it: the suffix is already there,
   and repeating it is the commonest FIM defect;
4. a line indented less than the cursor's line ends it (the block ended); with the cursor at a line's
   start (column 0: nothing typed on the line, so the middle brings its own indent), less than the
   middle's first line;
5. at most ``max_lines`` lines; trailing blank lines go;
6. text right of the cursor that the middle repeats at its end is dropped (``)`` typed twice).
"""

from __future__ import annotations

from dataclasses import dataclass

from smallcoder.fim.formats import FimFormat, strip_special

OPENERS = (":", "{", "(", "[", "=>", "->")  # a line ending so continues on the next ones


@dataclass(frozen=True)
class StopRules:
    """The cursor's surroundings the rules need. ``line_prefix``: the cursor line left of the cursor;
    ``line_suffix``: right of it; ``next_line``: the suffix's first non-blank line after the cursor line."""

    line_prefix: str
    line_suffix: str
    next_line: str
    max_lines: int = 12

    @classmethod
    def at(cls, prefix: str, suffix: str, *, max_lines: int = 12) -> StopRules:
        """Rules for a cursor between ``prefix`` and ``suffix`` (whole texts either side)."""
        line_prefix = prefix.rsplit("\n", 1)[-1]
        line_suffix, _, rest = suffix.partition("\n")
        nxt = next((ln for ln in rest.split("\n") if ln.strip()), "")
        return cls(line_prefix, line_suffix, nxt, max_lines)

    @property
    def single_line(self) -> bool:
        """One line only: mid-line, or after code on the cursor's line that opens no block (``x = |``).
        Several lines only on a blank line or after a block opener, as editors' completions do."""
        if self.line_suffix.strip():
            return True
        code = self.line_prefix.strip()
        return bool(code) and not code.endswith(OPENERS)

    @property
    def base_indent(self) -> int:
        """Indentation a continued block keeps: the cursor line's (one more after a block opener such as
        ``:`` or ``{``), or the cursor column on a blank line. At column 0 the middle's first line sets it
        (see ``cut``)."""
        if self.line_prefix.strip():
            opens = self.line_prefix.rstrip().endswith(OPENERS)
            return _indent(self.line_prefix) + (1 if opens else 0)
        return len(self.line_prefix.expandtabs(4))


def cut(text: str, rules: StopRules, fmt: FimFormat | None = None) -> tuple[str, bool]:
    """Apply the rules to a (possibly partial) middle. Returns (text to show, ended): ``ended`` means a
    rule fired on complete input, so generating more cannot change the result."""
    ended = False
    if fmt is not None:
        stripped = strip_special(text, fmt)
        ended = stripped != text
        text = stripped
    lines = text.split("\n")
    complete = len(lines) - 1  # lines followed by a newline; the last may still be growing
    if rules.single_line and complete >= 1:
        return _drop_repeated_tail(lines[0], rules.line_suffix), True
    keep: list[str] = []
    nxt = rules.next_line.strip()
    base: int | None = rules.base_indent if rules.line_prefix else None  # None: the first line's, once known
    for i, line in enumerate(lines):
        final = i < complete or ended
        if i > 0 and final and line.strip():
            if nxt and line.strip() == nxt:
                ended = True
                break
            if base is not None and _indent(line) < base:
                ended = True
                break
        if base is None and line.strip():
            base = _indent(line)  # its indent is settled once code follows it
        if i >= rules.max_lines:
            ended = True
            break
        keep.append(line)
    out = "\n".join(keep)
    if ended:
        out = _trim_trailing_blank(out)
    if "\n" not in out:
        out = _drop_repeated_tail(out, rules.line_suffix)
    return out, ended


def finish(text: str, rules: StopRules, fmt: FimFormat | None = None) -> str:
    """The final middle: the rules applied to the whole generated text, trailing blank lines removed."""
    out, _ = cut(text, rules, fmt)
    return _trim_trailing_blank(out)


def _trim_trailing_blank(text: str) -> str:
    lines = text.split("\n")
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines).rstrip() if len(lines) > 1 else lines[0].rstrip("\n")


def _drop_repeated_tail(line: str, line_suffix: str) -> str:
    """``foo(x)`` before a suffix ``)`` shows as ``foo(x``: the closing text is already there."""
    tail = line_suffix.strip()
    if tail and line.rstrip().endswith(tail):
        return line.rstrip()[: -len(tail)]
    return line


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
