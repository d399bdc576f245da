"""Code that leaves parts out: `# ... existing code ...` where the real lines should be.

Asked for a whole function or file, small models often write the part they changed and stand in for
the rest with a comment (`# ... (existing code)`, `# rest of the method unchanged`, `// ...`) or a bare
`...`. Written as is, that deletes the code the comment stands for. Aider calls these lazy comments
and asks again; here every edit tool refuses such a write with the line that gave it away, so the
model can send the complete code (the rule next to textio.refuse_breaking_write).

A line only counts when the file did not already have it: a project's own `# ...` comment or a stub's
`...` body is code like any other. A new file has nothing to leave out and is not checked.
"""

from __future__ import annotations

import re

from smallcoder.errors import ToolError

# A line that is only a comment: `#`, `//`, `/* … */`, `<!-- … -->`, `--` (SQL, Lua), with its text.
_COMMENT = re.compile(r"^\s*(?:#|//|/\*|<!--|--)\s*(?P<text>.*?)\s*(?:\*/|-->)?\s*$")
_DOTS = r"(?:\.{3,}|…)"
_KEPT = (r"(?:existing|rest|remaining|unchanged|previous|same|other|omitted|original|more|code|implementation|"
         r"here|as before)")
_STRONG = r"(?:existing|rest|remaining|unchanged|previous|omitted|original)"  # enough even after other words
# The comment's whole text (case ignored): dots alone; dots first, then a word for the kept code
# (`... existing code`, `...(rest of the method)`); a strong word, then dots (`existing code ...`); or a
# phrase that names the kept code (`rest of the function`, `existing code here`, `other methods unchanged`).
_ELIDED = re.compile(
    rf"^(?:{_DOTS}|"
    rf"\(?{_DOTS}.*\b{_KEPT}\b.*|"
    rf".*\b{_STRONG}\b.*{_DOTS}\)?|"
    r"(?:the\s+)?rest\s+of\s+(?:the\s+)?(?:code|function|method|class|file|module|implementation|body)\b.*|"
    r"\(?(?:existing|remaining|unchanged|original|previous|other)\s+"
    r"(?:code|implementation|logic|methods|functions|lines|body|tests|imports)\b"
    r"(?:\s+(?:here|unchanged|omitted|as\s+before|for\s+brevity|goes\s+here|remains?\s+(?:the\s+)?same|"
    r"stays?\s+(?:the\s+)?same|is\s+unchanged|are\s+unchanged))?\s*\)?[.:]?"
    r")$",
    re.IGNORECASE,
)
_BARE_ELLIPSIS = re.compile(r"^\s*(?:\.\.\.|pass\s*#\s*\.\.\.)\s*$")


def elided_lines(new: str, before: str | None, *, python: bool = True) -> list[tuple[int, str]]:
    """The lines of `new` (1-based numbers, text stripped) that stand in for left-out code and that
    `before` (the file's text before the edit; None: a new file, never checked) did not already have.
    A bare `...` line counts only in Python (`python`): elsewhere it can be real (YAML's document end)."""
    if before is None:
        return []
    had = {line.strip() for line in before.splitlines()}
    found = []
    for number, line in enumerate(new.splitlines(), 1):
        text = line.strip()
        if not text or text in had:
            continue
        comment = _COMMENT.match(line)
        if (comment and _ELIDED.match(comment["text"])) or (python and _BARE_ELLIPSIS.match(line)):
            found.append((number, text))
    return found


def refuse_elided_code(new: str, before: str | None, *, what: str, send: str, python: bool = True) -> None:
    """Raise ToolError when `new` leaves code out (elided_lines); `what` names the edit ("rewrite_function"),
    `send` what to send instead ("the complete function"), `python` whether the file is Python."""
    found = elided_lines(new, before, python=python)
    if not found:
        return
    number, text = found[0]
    more = f" (and {len(found) - 1} more such line{'s' * (len(found) > 2)})" if len(found) > 1 else ""
    raise ToolError(
        f"{what} was not applied: your code leaves parts out — line {number} of it is `{text}`{more}, and "
        f"written as is that would delete the code it stands for. Send {send} with every line written out, "
        "or change only the lines that differ with replace_in_file."
    )
