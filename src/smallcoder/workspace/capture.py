"""Bounded capture of a stream of output bytes: the first part, a rolling tail, and a count of the rest.

A command may print gigabytes; memory use here stays proportional to the
character budget, never to the output.
"""

from __future__ import annotations

import codecs

from smallcoder.workspace.truncate import join_cut, split_budget


class HeadTailCapture:
    """Feed bytes as they arrive; `text()` gives the head, a cut note, and the tail."""

    def __init__(self, max_chars: int) -> None:
        self._head_limit, self._tail_limit = split_budget(max_chars)
        # Until something must be cut, the tail may use the two characters the note's newlines would take.
        self._tail_room = max(0, max_chars - self._head_limit)
        # Invalid UTF-8 (binary output) becomes U+FFFD instead of raising.
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._head: list[str] = []
        self._head_len = 0
        self._tail = ""
        self.total_chars = 0
        self.cut_chars = 0
        self.cut_lines = 0

    def feed(self, data: bytes, final: bool = False) -> None:
        self._add(self._decoder.decode(data, final))

    def _add(self, chunk: str) -> None:
        if not chunk:
            return
        self.total_chars += len(chunk)
        room = self._head_limit - self._head_len
        if room > 0:
            self._head.append(chunk[:room])
            self._head_len += min(room, len(chunk))
            chunk = chunk[room:]
            if not chunk:
                return
        tail = self._tail + chunk
        excess = len(tail) - self._tail_room
        if excess > 0:
            dropped = tail[:excess]
            self.cut_chars += len(dropped)
            self.cut_lines += dropped.count("\n")
            tail = tail[excess:]
        self._tail = tail

    @property
    def truncated(self) -> bool:
        return self.cut_chars > 0

    def text(self) -> str:
        """Everything captured so far; if anything was dropped, head + note + tail."""
        head = "".join(self._head)
        if not self.cut_chars:
            return head + self._tail
        extra = len(self._tail) - self._tail_limit
        tail = self._tail[extra:] if extra > 0 else self._tail
        moved = self._tail[:extra] if extra > 0 else ""
        return join_cut(head, tail, self.cut_chars + len(moved), self.cut_lines + moved.count("\n"))
