"""Cutting long text down to a budget while keeping its head and its tail.

Command output and test logs matter most at both ends: the command and the
first error at the top, the summary and the traceback at the bottom. So we
keep about 40% from the head and 60% from the tail, cut at line boundaries
when that costs little, and say in one line how much was left out.
"""

from __future__ import annotations

HEAD_SHARE = 0.4


def cut_note(chars: int, lines: int) -> str:
    """The one line that stands in for what was cut, e.g. `[... 12,345 characters (210 lines) cut ...]`."""
    if lines > 0:
        return f"[... {chars:,} characters ({lines:,} lines) cut ...]"
    return f"[... {chars:,} characters cut ...]"


def split_budget(max_chars: int) -> tuple[int, int]:
    """How many characters to keep from the head and from the tail.

    Two characters are held back for the newlines around the note, so a cut
    result is never longer than `max_chars + len(note)`.
    """
    budget = max(0, max_chars - 2)
    head = int(budget * HEAD_SHARE)
    return head, budget - head


def join_cut(head: str, tail: str, cut_chars: int, cut_lines: int) -> str:
    """Join a kept head and tail around a note saying what lay between them.

    `cut_chars`/`cut_lines` describe the text between head and tail. A partial
    line at the end of the head or the start of the tail is moved into the cut
    when a line boundary is close enough (within half of that side), so the
    reader sees whole lines.
    """
    if cut_chars <= 0:
        return head + tail
    nl = head.rfind("\n")
    if nl >= 0 and nl + 1 < len(head) and nl + 1 >= len(head) // 2:
        cut_chars += len(head) - (nl + 1)
        head = head[: nl + 1]
    nl = tail.find("\n")
    if 0 <= nl < len(tail) // 2:
        cut_chars += nl + 1
        cut_lines += 1
        tail = tail[nl + 1 :]
    before = "\n" if head and not head.endswith("\n") else ""
    after = "\n" if tail else ""
    return f"{head}{before}{cut_note(cut_chars, cut_lines)}{after}{tail}"


def truncate_middle(text: str, max_chars: int) -> str:
    """Return `text` unchanged if it fits in `max_chars`, else its head and tail around a cut note.

    The result is at most `max_chars + len(note)` characters long, and never
    longer than `text` itself.
    """
    if len(text) <= max_chars:
        return text
    head_len, tail_len = split_budget(max_chars)
    head = text[:head_len]
    tail = text[len(text) - tail_len :] if tail_len else ""
    middle = text[head_len : len(text) - tail_len]
    result = join_cut(head, tail, len(middle), middle.count("\n"))
    # With a tiny budget the note can outweigh what it replaces.
    return result if len(result) < len(text) else text
