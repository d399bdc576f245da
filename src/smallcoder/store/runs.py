"""The run store: an observer of the agent loop that records every run in SQLite.

Each event is written and committed as it arrives, so a run cut short by
Ctrl-C or a kill can still be listed and shown. A run that started but never
finished reads back as "running" while its process lives, "interrupted" after.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from smallcoder.agent.events import (
    Event,
    FormatProblem,
    FreshAttempt,
    ModelCalled,
    RunFinished,
    RunStarted,
    StepTimed,
    TestsRan,
    ToolExecuted,
)
from smallcoder.errors import SmallcoderError
from smallcoder.paths import Home
from smallcoder.secrets import redact, redact_value
from smallcoder.store.db import connect
from smallcoder.store.ids import new_run_id
from smallcoder.store.rows import row_to_dict, run_to_dict

CHILD_TABLES = ("model_calls", "tool_executions", "test_runs", "format_problems", "fresh_attempts", "step_timings")

# Identity columns a RunFinished may fill in but should not blank out.
_KEEP_IF_EMPTY = ("repo", "worktree", "branch", "base_commit", "model", "test_command")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _json(value: Any) -> str:
    # default=str: `extra` comes from callers and may hold paths, datetimes and the like.
    return json.dumps(redact_value(value), default=str)


class RunStore:
    """Records agent events (use the instance itself as an Observer) and reads runs back."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else Home.from_env().db  # library use; sessions pass home.db
        self._lock = threading.RLock()
        self._conn = connect(self.path)

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One explicit transaction; rolled back on any exception, Ctrl-C included."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- writing -----------------------------------------------------------

    def new_run_id(self) -> str:
        """A fresh id (see store/ids.py) not yet used in this database."""
        with self._lock:
            while True:
                run_id = new_run_id()
                if self._conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
                    return run_id

    def __call__(self, event: Event) -> None:
        self.record(event)

    def record(self, event: Event) -> None:
        """Write one event, committed before returning."""
        match event:
            case RunStarted():
                self._run_started(event)
            case ModelCalled():
                self._model_called(event)
            case ToolExecuted():
                self._tool_executed(event)
            case TestsRan():
                self._tests_ran(event)
            case FormatProblem():
                self._format_problem(event)
            case FreshAttempt():
                self._fresh_attempt(event)
            case StepTimed():
                self._step_timed(event)
            case RunFinished():
                self._run_finished(event)
            case _:
                pass  # an event kind this store does not know (a newer loop); nothing to record

    def _run_started(self, e: RunStarted) -> None:
        with self._tx() as conn:
            conn.execute(
                """INSERT INTO runs (id, task, repo, worktree, branch, base_commit, model, test_command,
                                     context_window, status, started_at, pid)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)""",
                (e.run_id, redact(e.task), e.repo, e.worktree, e.branch, e.base_commit, e.model,
                 e.test_command, e.context_window, _now(), os.getpid()),
            )

    def _model_called(self, e: ModelCalled) -> None:
        c = e.completion
        calls = [{"name": call.name, "arguments": call.arguments, "id": call.id} for call in c.tool_calls]
        with self._tx() as conn:
            conn.execute(
                """INSERT INTO model_calls (run_id, step, prompt_tokens, completion_tokens, cached_tokens,
                                            latency_s, finish_reason, text, tool_calls, recorded_at,
                                            ttft_s, tokens_per_s, cache_source, prompt_s, generation_s, cut)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (e.run_id, e.step, c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.cached_tokens,
                 c.latency_s, c.finish_reason, redact(c.text), _json(calls), _now(),
                 c.ttft_s, c.tokens_per_s, c.cache_source, c.prompt_s, c.generation_s, c.cut),
            )
            # Running totals, so an interrupted run still shows what it cost.
            conn.execute(
                """UPDATE runs SET model_calls = model_calls + 1,
                       prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?,
                       cached_tokens = cached_tokens + ?,
                       steps = (SELECT COUNT(DISTINCT step) FROM model_calls WHERE run_id = ?)
                   WHERE id = ?""",
                (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.cached_tokens, e.run_id, e.run_id),
            )

    def _tool_executed(self, e: ToolExecuted) -> None:
        with self._tx() as conn:
            conn.execute(
                """INSERT INTO tool_executions (run_id, step, tool, arguments, observation, ok, duration_s,
                                                recorded_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (e.run_id, e.step, e.call.name, _json(e.call.arguments), redact(e.observation), int(e.ok),
                 e.duration_s, _now()),
            )

    def _tests_ran(self, e: TestsRan) -> None:
        r = e.result
        with self._tx() as conn:
            conn.execute(
                """INSERT INTO test_runs (run_id, phase, step, command, passed, exit_code, output, duration_s,
                                          timed_out, recorded_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (e.run_id, e.phase, e.step, redact(r.command), int(r.passed), r.exit_code, redact(r.output),
                 r.duration_s, int(r.timed_out), _now()),
            )
            if e.phase in ("before", "after"):
                conn.execute(f"UPDATE runs SET tests_{e.phase}_passed = ? WHERE id = ?", (int(r.passed), e.run_id))

    def _format_problem(self, e: FormatProblem) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO format_problems (run_id, step, message, recorded_at) VALUES (?, ?, ?, ?)",
                (e.run_id, e.step, redact(e.message), _now()),
            )

    def _fresh_attempt(self, e: FreshAttempt) -> None:
        with self._tx() as conn:
            conn.execute(
                """INSERT INTO fresh_attempts (run_id, step, attempt, temperature, reason, recorded_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (e.run_id, e.step, e.attempt, e.temperature, e.reason, _now()),
            )

    def _step_timed(self, e: StepTimed) -> None:
        t = e.timing
        with self._tx() as conn:
            conn.execute(
                """INSERT INTO step_timings (run_id, step, wall_s, prompt_s, generation_s, tools_s, tests_s,
                                             overhead_s, recorded_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (e.run_id, e.step, t.wall_s, t.prompt_s, t.generation_s, t.tools_s, t.tests_s, t.overhead_s, _now()),
            )

    def _run_finished(self, e: RunFinished) -> None:
        r = e.result
        finished = datetime.now(timezone.utc)
        values: dict[str, Any] = {
            "id": e.run_id,
            "repo": r.repo,
            "worktree": r.worktree,
            "branch": r.branch,
            "base_commit": r.base_commit,
            "model": r.model,
            "test_command": r.test_command,
            "status": r.status,
            "reason": redact(r.reason),
            "commit_sha": r.commit,
            "diff": redact(r.diff),
            "tests_before_passed": None if r.tests_before is None else int(r.tests_before.passed),
            "tests_after_passed": None if r.tests_after is None else int(r.tests_after.passed),
            "steps": r.steps,
            "model_calls": r.model_calls,
            "prompt_tokens": r.usage.prompt_tokens,
            "completion_tokens": r.usage.completion_tokens,
            "cached_tokens": r.usage.cached_tokens,
            "wall_s": r.wall_s,
            # Only used when RunStarted was never recorded (e.g. the store attached late).
            "started_at": (finished - timedelta(seconds=r.wall_s)).isoformat(timespec="milliseconds"),
            "finished_at": finished.isoformat(timespec="milliseconds"),
        }
        updates = []
        for col in values:
            if col in ("id", "started_at"):
                continue
            if col in _KEEP_IF_EMPTY:
                updates.append(f"{col} = COALESCE(NULLIF(excluded.{col}, ''), runs.{col})")
            elif col in ("tests_before_passed", "tests_after_passed"):
                updates.append(f"{col} = COALESCE(excluded.{col}, runs.{col})")
            else:
                updates.append(f"{col} = excluded.{col}")
        with self._tx() as conn:
            row = conn.execute("SELECT extra FROM runs WHERE id = ?", (e.run_id,)).fetchone()
            extra = {**(json.loads(row["extra"]) if row else {}), **e.extra}
            values["extra"] = _json(extra)
            updates.append("extra = excluded.extra")
            cols = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            conn.execute(
                f"INSERT INTO runs ({cols}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {', '.join(updates)}",
                tuple(values.values()),
            )

    # -- reading -----------------------------------------------------------

    def list_runs(self, limit: int | None = 20) -> list[dict[str, Any]]:
        """Newest runs first, without their diffs (get_run has those). limit=None lists all."""
        with self._lock:
            cols = [r["name"] for r in self._conn.execute("PRAGMA table_info(runs)") if r["name"] != "diff"]
            rows = self._conn.execute(
                f"SELECT {', '.join(cols)} FROM runs ORDER BY started_at DESC, id DESC LIMIT ?",
                (-1 if limit is None else limit,),
            ).fetchall()
        return [run_to_dict(row) for row in rows]

    def resolve_id(self, ref: str) -> str:
        """The full id of the one run that `ref` names, exactly or as a unique prefix."""
        ref = ref.strip()
        if not ref:
            raise SmallcoderError("no run id given; `smallcoder runs list` shows the ids")
        with self._lock:
            if self._conn.execute("SELECT 1 FROM runs WHERE id = ?", (ref,)).fetchone():
                return ref
            matches = [
                row["id"]
                for row in self._conn.execute(
                    "SELECT id FROM runs WHERE lower(substr(id, 1, ?)) = lower(?) ORDER BY id LIMIT 6",
                    (len(ref), ref),
                )
            ]
        if not matches:
            raise SmallcoderError(f"no run with id '{ref}'; `smallcoder runs list` shows the ids")
        if len(matches) > 1:
            shown = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
            raise SmallcoderError(f"run id '{ref}' is ambiguous (matches {shown}); give more characters")
        return str(matches[0])

    def get_run(self, ref: str) -> dict[str, Any]:
        """{"run": {...}, "model_calls": [...], "tool_executions": [...], "test_runs": [...],
        "format_problems": [...], "fresh_attempts": [...], "step_timings": [...]} for the run named by a full id or a
        unique prefix (store/timing.py sums the step timings)."""
        run_id = self.resolve_id(ref)
        with self._lock:
            out: dict[str, Any] = {
                "run": run_to_dict(self._conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone())
            }
            for table in CHILD_TABLES:
                rows = self._conn.execute(f"SELECT * FROM {table} WHERE run_id = ? ORDER BY id", (run_id,))
                out[table] = [{k: v for k, v in row_to_dict(row).items() if k != "run_id"} for row in rows]
        return out
