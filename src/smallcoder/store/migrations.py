"""Schema migrations: append-only, named, each applied once.

Never edit or reorder a migration that has shipped; add a new function to the
end of MIGRATIONS instead. The `_migrations` table records which ran, by name.
Statements are executed one by one (not executescript) so each migration
stays inside its own transaction.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Callable

Migration = Callable[[sqlite3.Connection], None]


def m0001_initial(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            task TEXT NOT NULL DEFAULT '',
            repo TEXT NOT NULL DEFAULT '',
            worktree TEXT NOT NULL DEFAULT '',
            branch TEXT NOT NULL DEFAULT '',
            base_commit TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            test_command TEXT,
            context_window INTEGER,
            status TEXT NOT NULL DEFAULT 'running',
            reason TEXT NOT NULL DEFAULT '',
            commit_sha TEXT,
            diff TEXT NOT NULL DEFAULT '',
            tests_before_passed INTEGER,
            tests_after_passed INTEGER,
            steps INTEGER NOT NULL DEFAULT 0,
            model_calls INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cached_tokens INTEGER NOT NULL DEFAULT 0,
            wall_s REAL,
            started_at TEXT,
            finished_at TEXT,
            pid INTEGER,
            extra TEXT NOT NULL DEFAULT '{}'
        )"""
    )
    conn.execute("CREATE INDEX runs_started_at ON runs (started_at)")
    conn.execute(
        """CREATE TABLE model_calls (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cached_tokens INTEGER NOT NULL DEFAULT 0,
            latency_s REAL NOT NULL DEFAULT 0,
            finish_reason TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            tool_calls TEXT NOT NULL DEFAULT '[]',
            recorded_at TEXT NOT NULL
        )"""
    )
    conn.execute(
        """CREATE TABLE tool_executions (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            tool TEXT NOT NULL,
            arguments TEXT NOT NULL DEFAULT '{}',
            observation TEXT NOT NULL DEFAULT '',
            ok INTEGER NOT NULL,
            duration_s REAL NOT NULL DEFAULT 0,
            recorded_at TEXT NOT NULL
        )"""
    )
    conn.execute(
        """CREATE TABLE test_runs (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            phase TEXT NOT NULL,
            step INTEGER NOT NULL,
            command TEXT NOT NULL,
            passed INTEGER NOT NULL,
            exit_code INTEGER,
            output TEXT NOT NULL DEFAULT '',
            duration_s REAL NOT NULL DEFAULT 0,
            timed_out INTEGER NOT NULL DEFAULT 0,
            recorded_at TEXT NOT NULL
        )"""
    )
    conn.execute(
        """CREATE TABLE format_problems (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            message TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )"""
    )
    for table in ("model_calls", "tool_executions", "test_runs", "format_problems"):
        conn.execute(f"CREATE INDEX {table}_run_id ON {table} (run_id)")


def m0002_model_call_speed(conn: sqlite3.Connection) -> None:
    """Time to first token, generation speed, and where the cached-token figure came from."""
    conn.execute("ALTER TABLE model_calls ADD COLUMN ttft_s REAL")
    conn.execute("ALTER TABLE model_calls ADD COLUMN tokens_per_s REAL")
    conn.execute("ALTER TABLE model_calls ADD COLUMN cache_source TEXT NOT NULL DEFAULT ''")


def m0003_fresh_attempts(conn: sqlite3.Connection) -> None:
    """Runs that started over after the model repeated itself (agent/loop.py, FreshAttempt)."""
    conn.execute(
        """CREATE TABLE fresh_attempts (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            temperature REAL NOT NULL,
            reason TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX fresh_attempts_run_id ON fresh_attempts (run_id)")


def m0004_fim_suggestions(conn: sqlite3.Connection) -> None:
    # Local-only acceptance statistics of editor completions (smallcoder lsp / complete): one row per
    # suggestion shown; outcome is 'shown' until the editor says 'accepted' or 'partial'.
    conn.execute(
        """CREATE TABLE fim_suggestions (
            id INTEGER PRIMARY KEY,
            shown_at TEXT NOT NULL,
            language TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            chars INTEGER NOT NULL DEFAULT 0,
            lines INTEGER NOT NULL DEFAULT 0,
            latency_ms REAL,
            outcome TEXT NOT NULL DEFAULT 'shown',
            accepted_chars INTEGER NOT NULL DEFAULT 0,
            outcome_at TEXT
        )"""
    )
    conn.execute("CREATE INDEX fim_suggestions_model_language ON fim_suggestions (model, language)")


def m0005_step_timings(conn: sqlite3.Connection) -> None:
    """Where each step's wall time went (agent/timing.py), and each model call's prompt/generation split and
    why smallcoder cut its stream short, if it did."""
    conn.execute(
        """CREATE TABLE step_timings (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            wall_s REAL NOT NULL,
            prompt_s REAL NOT NULL,
            generation_s REAL NOT NULL,
            tools_s REAL NOT NULL,
            tests_s REAL NOT NULL,
            overhead_s REAL NOT NULL,
            recorded_at TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX step_timings_run_id ON step_timings (run_id)")
    conn.execute("ALTER TABLE model_calls ADD COLUMN prompt_s REAL")
    conn.execute("ALTER TABLE model_calls ADD COLUMN generation_s REAL")
    conn.execute("ALTER TABLE model_calls ADD COLUMN cut TEXT NOT NULL DEFAULT ''")


# Append new migrations here; names must stay unique and stable.
MIGRATIONS: list[Migration] = [m0001_initial, m0002_model_call_speed, m0003_fresh_attempts, m0004_fim_suggestions,
                               m0005_step_timings]


def applied(conn: sqlite3.Connection) -> set[str]:
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    return {row[0] for row in conn.execute("SELECT name FROM _migrations")}


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations; returns the names applied now. `conn` must be in autocommit mode."""
    if not {m.__name__ for m in MIGRATIONS} - applied(conn):
        return []  # fast path: the common case takes no write lock
    ran: list[str] = []
    # IMMEDIATE takes the write lock up front, so two processes opening a fresh
    # database at once cannot both apply the same migration.
    conn.execute("BEGIN IMMEDIATE")
    try:
        done = applied(conn)
        for migration in MIGRATIONS:
            if migration.__name__ in done:
                continue
            migration(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (migration.__name__, datetime.now(timezone.utc).isoformat(timespec="seconds")),
            )
            ran.append(migration.__name__)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return ran
