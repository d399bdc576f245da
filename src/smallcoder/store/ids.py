"""Run ids: short, unique, sortable by creation time, safe in a git branch name.

Layout: 8 base32 characters of centiseconds since 2020-01-01 (40 bits, good
until the 24th century) then 4 random base32 characters (20 bits), so runs
started in the same 10 ms by parallel workers almost never clash. Crockford's
lowercase alphabet is in ASCII order, so string order is time order; within
one process ids are strictly increasing (the random part counts up inside a
time slot, as ULIDs do), hence never repeat.
"""

from __future__ import annotations

import secrets
import threading
import time

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_EPOCH_S = 1_577_836_800  # 2020-01-01T00:00:00Z
_TIME_CHARS = 8
_RANDOM_CHARS = 4
_RANDOM_MAX = 32**_RANDOM_CHARS - 1

_lock = threading.Lock()
_last = (-1, 0)  # (time slot, random part) of the previous id from this process


def _encode(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def new_run_id(now: float | None = None) -> str:
    """A 12-character id such as `0m89mqnp3hxa`."""
    global _last
    slot = int(((time.time() if now is None else now) - _EPOCH_S) * 100)
    slot = max(0, min(slot, 32**_TIME_CHARS - 1))
    with _lock:
        last_slot, last_rand = _last
        if slot <= last_slot:  # same slot (or the clock stepped back): count up from the last id
            slot, rand = last_slot, last_rand + 1
            if rand > _RANDOM_MAX:
                slot, rand = slot + 1, secrets.randbelow(_RANDOM_MAX // 2)
        else:
            # Start low in the range so counting up within a slot has room to spare.
            rand = secrets.randbelow(_RANDOM_MAX // 2)
        _last = (slot, rand)
    return _encode(slot, _TIME_CHARS) + _encode(rand, _RANDOM_CHARS)
