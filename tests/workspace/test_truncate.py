from __future__ import annotations

import random
import re

import pytest

from smallcoder.workspace.capture import HeadTailCapture
from smallcoder.workspace.truncate import cut_note, truncate_middle

NOTE = re.compile(r"\[\.\.\. ([\d,]+) characters(?: \(([\d,]+) lines\))? cut \.\.\.\]")


def _parts(result: str) -> tuple[str, str, str, int, int]:
    """Split a cut result into head, note, tail (without the newline after the note) and the note's numbers."""
    match = NOTE.search(result)
    assert match, result
    head = result[: match.start()]
    tail = result[match.end() :]
    if tail:
        assert tail.startswith("\n")  # the note always ends its line
        tail = tail[1:]
    return head, match.group(0), tail, int(match.group(1).replace(",", "")), int((match.group(2) or "0").replace(",", ""))


def _check_cut(text: str, max_chars: int, result: str) -> None:
    """head + cut + tail must rebuild `text`, and the note must count the cut exactly."""
    head, note, tail, chars, lines = _parts(result)
    assert len(result) <= max_chars + len(note)
    assert text.endswith(tail)
    # The newline before the note is either the head's own or one we added.
    candidates = [h for h in (head, head[:-1]) if text.startswith(h) and len(h) + chars + len(tail) == len(text)]
    assert candidates, (text, result)
    kept = candidates[0]
    assert text[len(kept) : len(text) - len(tail)].count("\n") == lines


def test_short_text_unchanged() -> None:
    assert truncate_middle("abc", 3) == "abc"
    assert truncate_middle("", 0) == ""


def test_keeps_whole_lines_at_both_ends() -> None:
    text = "".join(f"line {i:04d}\n" for i in range(1000))
    result = truncate_middle(text, 500)
    head, note, tail, chars, lines = _parts(result)
    assert head.startswith("line 0000\n") and head.endswith("\n")
    assert tail.endswith("line 0999\n")
    assert tail.startswith("line ")  # a whole line, not a fragment
    _check_cut(text, 500, result)
    assert len(result) <= 500 + len(note)
    # Head is the smaller share.
    assert len(head) < len(tail)
    assert "lines) cut" in note and lines > 900
    assert "[... " in note


def test_note_format() -> None:
    assert cut_note(12345, 210) == "[... 12,345 characters (210 lines) cut ...]"
    assert cut_note(5, 0) == "[... 5 characters cut ...]"


def test_single_long_line_is_cut_hard() -> None:
    text = "x" * 10_000
    result = truncate_middle(text, 100)
    head, note, tail, chars, lines = _parts(result)
    assert len(result) <= 100 + len(note)
    assert head.strip("\n") and tail
    _check_cut(text, 100, result)


def _check(text: str, max_chars: int, result: str) -> None:
    if len(text) <= max_chars:
        assert result == text
        return
    assert len(result) <= len(text)
    if result != text:  # unchanged when the note would have cost more than it saved
        _check_cut(text, max_chars, result)


def _random_text(rng: random.Random, alphabet: str, max_size: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_size)))


@pytest.mark.parametrize("seed", range(20))
def test_truncate_middle_properties(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        text = _random_text(rng, "ab\n\u00e9", 400)
        max_chars = rng.randint(0, 300)
        _check(text, max_chars, truncate_middle(text, max_chars))


@pytest.mark.parametrize("seed", range(20))
def test_streaming_capture_matches_the_same_properties(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(30):
        chunks = [_random_text(rng, "xy\n\u00e9", 60) for _ in range(rng.randint(0, 20))]
        max_chars = rng.randint(0, 120)
        capture = HeadTailCapture(max_chars)
        for chunk in chunks:
            capture.feed(chunk.encode())
        capture.feed(b"", final=True)
        text = "".join(chunks)
        result = capture.text()
        assert capture.truncated == (len(text) > max_chars)
        if not capture.truncated:
            assert result == text
        else:
            _check_cut(text, max_chars, result)


def test_capture_splits_multibyte_characters_across_chunks() -> None:
    data = "é€😀\n".encode() * 3
    capture = HeadTailCapture(1000)
    for i in range(len(data)):
        capture.feed(data[i : i + 1])
    capture.feed(b"", final=True)
    assert capture.text() == "é€😀\n" * 3
