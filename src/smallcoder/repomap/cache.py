"""Per-file tag cache in SQLite, keyed by (absolute path, mtime_ns, size).

Several agents may build maps at once, so the store is one SQLite file (safe
under concurrent writers) rather than JSON. Any cache failure (read-only dir,
corrupt file, lock timeout) disables the cache for that build instead of
failing it: the map is an aid, never a reason to stop.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from pathlib import Path

from smallcoder.paths import Home
from smallcoder.repomap.definitions import FileTags
from smallcoder.repomap.queries import QUERIES

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DB_NAME = "tags.sqlite3"
FLUSH_EVERY = 500  # rows; an interrupted cold build still leaves most of its work behind


def default_cache_dir() -> Path:
    """Where maps are cached when the caller names no directory: under smallcoder's home."""
    return Home.from_env().root / "repomap-cache"


_EXTRACTOR_SOURCES = ("tags.py", "fallback.py", "queries.py", "languages.py")


def extractor_version() -> str:
    """Changes whenever the extraction code or queries change, so stale rows are never used."""
    digest = hashlib.sha256(json.dumps(QUERIES, sort_keys=True).encode())
    here = Path(__file__).parent
    for name in _EXTRACTOR_SOURCES:
        try:
            digest.update((here / name).read_bytes())
        except OSError:  # e.g. a zipped install: the queries alone still key the cache
            pass
    return f"{FORMAT_VERSION}-{digest.hexdigest()[:12]}"


class TagCache:
    def __init__(self, cache_dir: Path) -> None:
        self._version = extractor_version()
        self._pending: list[tuple[str, int, int, str, str]] = []
        self._db: sqlite3.Connection | None = None
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(cache_dir / DB_NAME, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS tags (path TEXT PRIMARY KEY, mtime_ns INTEGER,"
                " size INTEGER, version TEXT, data TEXT)"
            )
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            log.warning("repo map cache unavailable at %s: %s", cache_dir, exc)
            self._db = None

    def get(self, path: Path, rel: str, mtime_ns: int, size: int) -> tuple[bool, FileTags | None]:
        """(hit, tags); a hit with None tags means "known not to be a source file"."""
        if self._db is None:
            return False, None
        try:
            row = self._db.execute(
                "SELECT data FROM tags WHERE path=? AND mtime_ns=? AND size=? AND version=?",
                (str(path), mtime_ns, size, self._version),
            ).fetchone()
            if row is None:
                return False, None
            data = json.loads(row[0])
            return True, (None if data is None else FileTags.from_json(rel, data))
        except (sqlite3.Error, ValueError, KeyError, TypeError):
            return False, None  # unreadable row: parse again and overwrite it

    def put(self, path: Path, mtime_ns: int, size: int, tags: FileTags | None) -> None:
        data = None if tags is None else tags.to_json()
        self._pending.append((str(path), mtime_ns, size, self._version, json.dumps(data)))
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self._db is None or not self._pending:
            self._pending.clear()
            return
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?, ?, ?)", self._pending)
        except sqlite3.Error as exc:
            log.warning("repo map cache not written: %s", exc)
        self._pending.clear()

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None
