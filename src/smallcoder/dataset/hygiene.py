"""What must not reach training data: secrets, excluded licenses, exact and near duplicates.

Every removal is counted in a ``Removals`` value, printed by the CLI and saved in the manifest.
Near-duplicates are found with MinHash + LSH (datasketch, the `dataset` extra), the method of
Broder (1997) used by the BigCode/The Stack deduplication (5-gram shingles, Jaccard ≥ 0.85).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from smallcoder.errors import ConfigError
from smallcoder.secrets import MASK, looks_like_secret, redact

# Candidate tokens for the entropy test: long runs of base64/hex/url-safe characters.
_TOKEN = re.compile(r"[A-Za-z0-9+/_\-]{20,}={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]+")
BASE64_MIN_BITS = 4.2  # bits per char; random base64 of 20+ chars sits around 4.3–5.2, English-ish identifiers below 4
HEX_MIN_BITS = 3.0  # random hex sits near 4.0 bits per char
HEX_MIN_LEN = 32
GIT_OBJECT_ID_LENGTHS = (40, 64)  # SHA-1 and SHA-256 object ids; a secret-named assignment is still caught by redact

# Licenses whose terms may bind a model trained on the code (copyleft), matched in SPDX ids or headers.
DEFAULT_DENY_LICENSES = ("GPL", "AGPL", "LGPL", "SSPL", "EUPL")
_SPDX = re.compile(r"SPDX-License-Identifier:\s*([\w.+\- ()]+)")
_HEADER_LICENSE = re.compile(r"GNU (Affero |Lesser |Library )?General Public License|Server Side Public License")


@dataclass
class Removals:
    """Counts of what was left out or changed, by reason (e.g. ``{"near-duplicate": 3}``)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, reason: str, n: int = 1) -> None:
        if n:
            self.counts[reason] += n

    def merge(self, other: Removals) -> None:
        self.counts.update(other.counts)

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))


def shannon_entropy(text: str) -> float:
    """Shannon entropy of the characters of ``text``, in bits per character (0.0 for "")."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def is_high_entropy(token: str) -> bool:
    """A random-looking key: hex of 32+ chars, or 20+ base64-ish chars mixing cases and digits with high entropy.

    Identifiers (snake_case, CamelCase words) have lower entropy and rarely mix digits in; paths with
    slashes are left alone unless they are as random as a key.
    """
    if len(token) >= HEX_MIN_LEN and _HEX.fullmatch(token):
        if len(token) in GIT_OBJECT_ID_LENGTHS:
            return False  # a commit or blob id (pinned actions, changelogs): public, not a key
        return shannon_entropy(token) >= HEX_MIN_BITS and any(c.isdigit() for c in token) and any(
            c.isalpha() for c in token)
    if len(token) < 20:
        return False
    classes = sum((any(c.islower() for c in token), any(c.isupper() for c in token), any(c.isdigit() for c in token)))
    return classes == 3 and shannon_entropy(token) >= BASE64_MIN_BITS


def scrub(text: str) -> tuple[str, int]:
    """(``text`` with credentials masked, how many were masked).

    The project's scanner (secrets.redact: known token shapes, URLs with passwords, secret-named
    assignments) runs first; then any remaining high-entropy token is masked too.
    """
    masked = redact(text)
    found = masked.count(MASK) - text.count(MASK)

    def high(m: re.Match[str]) -> str:
        nonlocal found
        if is_high_entropy(m.group(0)) or looks_like_secret(m.group(0)):
            found += 1
            return MASK
        return m.group(0)

    return _TOKEN.sub(high, masked), found


def denied_license(text: str, deny: tuple[str, ...] = DEFAULT_DENY_LICENSES) -> str | None:
    """The license named in the file's head (an SPDX id or a GNU/SSPL notice) when it is on ``deny``, else None."""
    head = text[:4000]
    m = _SPDX.search(head)
    if m:
        ident = m.group(1).strip()
        for word in re.split(r"[\s()]+", ident):
            if any(word.upper().startswith(d.upper()) for d in deny):
                return ident
        return None
    m2 = _HEADER_LICENSE.search(head)
    if m2:
        name = {"Affero ": "AGPL", "Lesser ": "LGPL", "Library ": "LGPL"}.get(m2.group(1) or "", "GPL")
        if "Server Side" in m2.group(0):
            name = "SSPL"
        return name if any(name.upper().startswith(d.upper()) for d in deny) else None
    return None


def _normal(text: str) -> str:
    return "\n".join(ln.strip() for ln in text.strip().splitlines() if ln.strip())


class Deduplicator:
    """Keeps the first of each group of exact (after whitespace normalisation) or near duplicates.

    ``threshold``: estimated Jaccard similarity of word 5-gram shingles at or above which two texts are
    near duplicates; ``near=False`` keeps only the exact test (no datasketch needed).
    Raises ConfigError when near-duplicate removal is asked for and datasketch is not installed.
    """

    def __init__(self, *, near: bool = True, threshold: float = 0.85, num_perm: int = 128, shingle: int = 5) -> None:
        self.seen: set[str] = set()
        self.removals = Removals()
        self.num_perm, self.shingle = num_perm, shingle
        self.lsh: Any = None
        self._minhash: Any = None
        if near:
            try:
                from datasketch import MinHash, MinHashLSH
            except ImportError as e:
                raise ConfigError("near-duplicate removal needs datasketch — `pip install 'smallcoder[dataset]'`, "
                                  "or pass --no-near-dedup") from e
            self.lsh, self._minhash = MinHashLSH(threshold=threshold, num_perm=num_perm), MinHash
        self._count = 0

    def keep(self, text: str) -> bool:
        """True the first time a text (or one nearly like it) is seen; False for a duplicate (counted)."""
        norm = _normal(text)
        digest = hashlib.sha256(norm.encode("utf-8", "surrogatepass")).hexdigest()
        if digest in self.seen:
            self.removals.add("exact duplicate")
            return False
        self.seen.add(digest)
        if self.lsh is None:
            return True
        words = norm.split()
        grams = {" ".join(words[i:i + self.shingle]) for i in range(max(1, len(words) - self.shingle + 1))}
        mh = self._minhash(num_perm=self.num_perm)
        mh.update_batch([g.encode("utf-8", "surrogatepass") for g in grams])
        if self.lsh.query(mh):
            self.removals.add("near duplicate")
            return False
        self._count += 1
        self.lsh.insert(str(self._count), mh)
        return True
