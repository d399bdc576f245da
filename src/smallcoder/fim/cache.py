"""Result cache: suggestions keyed by hashes of the text either side of the cursor.

Two kinds of hit, neither of which costs a model request:

- exact: the same prefix and suffix were asked before (cursor moved away and back);
- typed-through: the user typed the first characters of a shown suggestion, so the prefix is an
  earlier prefix plus the start of its suggestion; the rest of that suggestion is the answer.

Keys are SHA-1 digests of the text (not the text), so a few hundred entries cost little memory.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

MAX_TYPED = 256  # how many typed characters back a typed-through hit is looked for


@dataclass(frozen=True)
class CacheHit:
    """A cached suggestion for the current cursor. ``typed``: characters of it already typed."""

    text: str
    typed: int


def _key(prefix: str, suffix: str) -> tuple[str, str]:
    return (hashlib.sha1(prefix.encode("utf-8", "surrogatepass")).hexdigest(),
            hashlib.sha1(suffix.encode("utf-8", "surrogatepass")).hexdigest())


class ResultCache:
    """A least-recently-used map (prefix hash, suffix hash) → suggestion, ``capacity`` entries."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str], str] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def put(self, prefix: str, suffix: str, suggestion: str) -> None:
        """Remember ``suggestion`` for this cursor; empty suggestions are remembered too (no retry)."""
        key = _key(prefix, suffix)
        self._entries[key] = suggestion
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def get(self, prefix: str, suffix: str) -> CacheHit | None:
        """An exact or typed-through hit, or None. A typed-through hit is itself stored as exact."""
        key = _key(prefix, suffix)
        if key in self._entries:
            self._entries.move_to_end(key)
            self.hits += 1
            return CacheHit(self._entries[key], 0)
        # Walk back over what may have been typed since an earlier request on this line.
        for typed in range(1, min(MAX_TYPED, len(prefix)) + 1):
            start = len(prefix) - typed
            earlier = _key(prefix[:start], suffix)
            shown = self._entries.get(earlier)
            if shown is not None and len(shown) > typed and shown.startswith(prefix[start:]):
                rest = shown[typed:]
                self.put(prefix, suffix, rest)
                self.hits += 1
                return CacheHit(rest, typed)
        self.misses += 1
        return None

    def __len__(self) -> int:
        return len(self._entries)
