"""Turning SQLite rows into the plain dicts the store hands out."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from smallcoder.workspace.processes import pid_alive

# Columns stored as 0/1 (or NULL) that callers should see as bool (or None).
_BOOL_COLUMNS = {"ok", "passed", "timed_out", "tests_before_passed", "tests_after_passed"}
_JSON_COLUMNS = {"extra", "arguments", "tool_calls"}


def row_to_dict(row: sqlite3.Row) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in row.keys():
        value = row[key]
        if key in _BOOL_COLUMNS and value is not None:
            value = bool(value)
        elif key in _JSON_COLUMNS and isinstance(value, str):
            value = json.loads(value)
        out[key] = value
    return out


def run_to_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A runs row; an unfinished run whose process is gone is reported as "interrupted"."""
    run = row_to_dict(row)
    if run["status"] == "running" and run["finished_at"] is None and not pid_alive(run["pid"]):
        run["status"] = "interrupted"
    return run
