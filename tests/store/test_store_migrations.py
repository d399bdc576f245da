from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from smallcoder.store import RunStore, migrations
from smallcoder.store.db import connect

TABLES = {"runs", "model_calls", "tool_executions", "test_runs", "format_problems", "fresh_attempts",
          "_migrations"}


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_migrate_from_empty(tmp_path: Path) -> None:
    conn = connect(tmp_path / "fresh.sqlite3")
    assert TABLES <= _tables(conn)
    assert [r[0] for r in conn.execute("SELECT name FROM _migrations")] == [m.__name__ for m in migrations.MIGRATIONS]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.close()


def test_reopen_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    RunStore(path).close()
    conn = connect(path)
    assert migrations.migrate(conn) == []
    assert conn.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(migrations.MIGRATIONS)
    conn.close()
    with RunStore(path) as store:
        assert store.list_runs() == []


def test_new_migration_applies_once_on_existing_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "db.sqlite3"
    RunStore(path).close()

    def m0002_add_label(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE runs ADD COLUMN label TEXT")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m0002_add_label])
    conn = connect(path)
    assert "label" in {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
    assert migrations.migrate(conn) == []
    conn.close()


def test_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def m0002_broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m0002_broken])
    path = tmp_path / "db.sqlite3"
    with pytest.raises(RuntimeError):
        connect(path)
    conn = sqlite3.connect(path)
    assert "runs" not in _tables(conn) and "half_done" not in _tables(conn)
    conn.close()
