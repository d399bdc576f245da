"""Opening the run database: pragmas and migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from smallcoder.store.migrations import migrate


def connect(path: Path) -> sqlite3.Connection:
    """An autocommit connection to an up-to-date database at `path` (created if missing).

    Autocommit (isolation_level=None) means every write is durable as soon as it
    returns, so a run killed mid-way is still there to inspect; multi-statement
    writes open their own explicit transaction.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # The agent may notify observers from worker threads; RunStore serializes access with a lock.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
    try:
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn
