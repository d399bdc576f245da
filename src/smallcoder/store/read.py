"""Typed, read-only queries over the run store, for viewers that filter and page through runs.

The writer (store/runs.py) owns the schema; this module only reads it. A reader
opens its own read-only SQLite connection (`mode=ro`), so a viewer can never
change a record, and WAL mode lets it read while a run is being written.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Self

from smallcoder.errors import SmallcoderError
from smallcoder.store.db import connect
from smallcoder.store.rows import row_to_dict, run_to_dict
from smallcoder.store.runs import CHILD_TABLES

# Sort keys a caller may ask for → the SQL expression they order by (never user text in SQL).
SORT_KEYS: dict[str, str] = {
    "started": "started_at",
    "status": "status",
    "model": "model",
    "repo": "repo",
    "steps": "steps",
    "tokens": "prompt_tokens + completion_tokens",
    "wall": "wall_s",
}
# Statuses that are not stored as such: an unfinished run is "running" while its process lives.
_DERIVED = ("running", "interrupted")


class RunQueryError(SmallcoderError):
    """A filter or sort the store cannot answer (unknown sort key, bad date)."""


@dataclass(frozen=True)
class RunQuery:
    """Which runs to list. Empty strings mean "any"; dates are UTC days, both ends included."""

    status: str = ""
    model: str = ""
    repo: str = ""
    since: date | None = None
    until: date | None = None
    text: str = ""  # searched in the task text and the run id, case-insensitively
    sort: str = "started"
    descending: bool = True
    limit: int = 100
    offset: int = 0

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise RunQueryError(f"unknown sort '{self.sort}'; use one of {', '.join(SORT_KEYS)}")
        if self.limit < 1 or self.offset < 0:
            raise RunQueryError("limit must be at least 1 and offset at least 0")


@dataclass(frozen=True)
class RunPage:
    """One page of runs (dicts shaped like RunStore.list_runs rows) and how many match in all."""

    runs: list[dict[str, Any]]
    total: int
    query: RunQuery


@dataclass(frozen=True)
class Facets:
    """The distinct values present, for filter menus."""

    statuses: list[str]
    models: list[str]
    repos: list[str]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class RunReader:
    """Read-only access to the run database at `path`.

    The file is created (empty, migrated) if missing, so a viewer started before the
    first run shows an empty list rather than an error. Not shared between threads:
    open one per request (it costs well under a millisecond).
    """

    def __init__(self, path: Path) -> None:
        if not path.exists():
            connect(path).close()  # create and migrate once; reading never writes afterwards
        uri = f"{path.resolve().as_uri()}?mode=ro"
        try:
            self._conn = sqlite3.connect(uri, uri=True, timeout=10.0)
        except sqlite3.Error as e:
            raise SmallcoderError(f"cannot read the run database {path}: {e}") from e
        self._conn.row_factory = sqlite3.Row
        self._columns = [r["name"] for r in self._conn.execute("PRAGMA table_info(runs)")]
        if not self._columns:
            self._conn.close()
            raise SmallcoderError(f"{path} is not a smallcoder run database (no runs table)")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- lists ---------------------------------------------------------------

    def query(self, q: RunQuery) -> RunPage:
        """The runs matching `q`, without their diffs, sorted and paged as asked."""
        where, params = self._where(q)
        cols = ", ".join(c for c in self._columns if c != "diff")
        order = "DESC" if q.descending else "ASC"
        # NULLs (unfinished runs have no wall time) last either way; the id breaks ties stably.
        sql_order = f"({SORT_KEYS[q.sort]}) IS NULL, {SORT_KEYS[q.sort]} {order}, id {order}"
        sql = f"SELECT {cols} FROM runs {where} ORDER BY {sql_order}"
        if q.status in _DERIVED:
            # Whether a "running" row is really running depends on its process: filter in Python.
            candidates = [run_to_dict(r) for r in self._conn.execute(sql, params)]
            matching = [r for r in candidates if r["status"] == q.status]
            return RunPage(matching[q.offset:q.offset + q.limit], len(matching), q)
        total = self._conn.execute(f"SELECT COUNT(*) FROM runs {where}", params).fetchone()[0]
        rows = self._conn.execute(f"{sql} LIMIT ? OFFSET ?", (*params, q.limit, q.offset)).fetchall()
        return RunPage([run_to_dict(r) for r in rows], int(total), q)

    def _where(self, q: RunQuery) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if q.status in _DERIVED:
            clauses.append("status = 'running' AND finished_at IS NULL")
        elif q.status:
            clauses.append("status = ?")
            params.append(q.status)
        for column in ("model", "repo"):
            value = getattr(q, column)
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        # started_at is ISO 8601 in UTC, so day bounds compare as text.
        if q.since:
            clauses.append("started_at >= ?")
            params.append(q.since.isoformat())
        if q.until:
            clauses.append("started_at < ?")
            params.append((q.until + timedelta(days=1)).isoformat())
        if q.text.strip():
            clauses.append("(task LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\')")
            params += [_like(q.text.strip()), _like(q.text.strip())]
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def facets(self) -> Facets:
        """Distinct statuses, models and repositories, sorted (derived statuses included)."""
        statuses = {r[0] for r in self._conn.execute("SELECT DISTINCT status FROM runs")}
        if "running" in statuses:
            statuses |= {"interrupted"}
        models = [r[0] for r in self._conn.execute("SELECT DISTINCT model FROM runs WHERE model != '' ORDER BY 1")]
        repos = [r[0] for r in self._conn.execute("SELECT DISTINCT repo FROM runs WHERE repo != '' ORDER BY 1")]
        return Facets(sorted(statuses), models, repos)

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest runs (id, task, model, status, started_at), for pickers."""
        rows = self._conn.execute(
            "SELECT id, task, model, status, started_at, finished_at, pid FROM runs "
            "ORDER BY started_at DESC, id DESC LIMIT ?", (limit,))
        return [run_to_dict(r) for r in rows]

    # -- one run -------------------------------------------------------------

    def resolve_id(self, ref: str) -> str:
        """The full id of the one run `ref` names, exactly or as a unique prefix (case-insensitive)."""
        ref = ref.strip()
        if not ref:
            raise SmallcoderError("no run id given")
        if self._conn.execute("SELECT 1 FROM runs WHERE id = ?", (ref,)).fetchone():
            return ref
        matches = [r[0] for r in self._conn.execute(
            "SELECT id FROM runs WHERE lower(substr(id, 1, ?)) = lower(?) ORDER BY id LIMIT 6", (len(ref), ref))]
        if not matches:
            raise SmallcoderError(f"no run with id '{ref}'")
        if len(matches) > 1:
            raise SmallcoderError(f"run id '{ref}' is ambiguous (matches {', '.join(matches[:5])}); give more characters")
        return str(matches[0])

    def detail(self, ref: str) -> dict[str, Any]:
        """The same shape as RunStore.get_run: {"run": {...}, "model_calls": [...], "tool_executions": [...],
        "test_runs": [...], "format_problems": [...], "fresh_attempts": [...]}; raises SmallcoderError
        when `ref` names no run or several."""
        run_id = self.resolve_id(ref)
        out: dict[str, Any] = {
            "run": run_to_dict(self._conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone())
        }
        for table in CHILD_TABLES:
            rows = self._conn.execute(f"SELECT * FROM {table} WHERE run_id = ? ORDER BY id", (run_id,))
            out[table] = [{k: v for k, v in row_to_dict(r).items() if k != "run_id"} for r in rows]
        return out
