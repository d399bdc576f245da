"""store/read.py: filtered, sorted, paged queries over a real run database, read-only."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from smallcoder.errors import SmallcoderError
from smallcoder.store import RunStore
from smallcoder.store.read import RunQuery, RunQueryError, RunReader
from tests.viewer.synthetic import record_synthetic


def test_filters_by_status_model_and_text(db: Path, runs: dict[str, str]) -> None:
    with RunReader(db) as r:
        assert r.query(RunQuery()).total == 3
        assert [x["id"] for x in r.query(RunQuery(status="unresolved")).runs] == [runs["b"]]
        assert {x["id"] for x in r.query(RunQuery(model="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")).runs} == \
            {runs["a"], runs["c"]}
        assert [x["id"] for x in r.query(RunQuery(text="SCRIPT>alert")).runs] == [runs["c"]]  # case-insensitive
        assert r.query(RunQuery(text="100%_")).total == 0  # LIKE wildcards are taken literally
        assert [x["id"] for x in r.query(RunQuery(text=runs["b"][-6:])).runs] == [runs["b"]]  # ids are searched
        assert r.query(RunQuery(repo="/src/calc")).total == 3 and r.query(RunQuery(repo="/elsewhere")).total == 0
        assert "diff" not in r.query(RunQuery()).runs[0]


def test_dates_sort_and_pages(db: Path, runs: dict[str, str]) -> None:
    today = date.today()
    with RunReader(db) as r:
        # started_at is UTC; a window of a day either side holds every run made just now.
        assert r.query(RunQuery(since=today - timedelta(days=1), until=today + timedelta(days=1))).total == 3
        assert r.query(RunQuery(since=today + timedelta(days=2))).total == 0
        by_steps = [x["steps"] for x in r.query(RunQuery(sort="steps", descending=False)).runs]
        assert by_steps == sorted(by_steps) == [3, 4, 6]
        page = r.query(RunQuery(sort="steps", limit=2, offset=2))
        assert page.total == 3 and [x["steps"] for x in page.runs] == [3]
        newest = r.query(RunQuery()).runs[0]["id"]
        assert newest == runs["c"]


def test_bad_queries_are_one_line_errors() -> None:
    with pytest.raises(RunQueryError, match="unknown sort 'size'"):
        RunQuery(sort="size")
    with pytest.raises(RunQueryError):
        RunQuery(limit=0)


def test_derived_statuses_running_and_interrupted(db: Path, store: RunStore, runs: dict[str, str]) -> None:
    from tests.viewer.synthetic import synthetic_events

    dead = store.new_run_id()
    store(synthetic_events(dead, 2)[0])  # started, never finished
    store._conn.execute("UPDATE runs SET pid = 999999999 WHERE id = ?", (dead,))  # a process that is gone
    with RunReader(db) as r:
        assert [x["id"] for x in r.query(RunQuery(status="interrupted")).runs] == [dead]
        assert r.query(RunQuery(status="running")).total == 0
        assert "interrupted" in r.facets().statuses


def test_facets_and_detail(db: Path, runs: dict[str, str]) -> None:
    with RunReader(db) as r:
        f = r.facets()
        assert f.statuses == ["resolved", "unresolved"]
        assert f.models == ["qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"]
        d = r.detail(runs["a"][:-1])  # a unique prefix
        assert d["run"]["id"] == runs["a"] and len(d["model_calls"]) == 6
        assert set(d) == {"run", "model_calls", "tool_executions", "test_runs", "format_problems", "fresh_attempts",
                          "step_timings"}
        with pytest.raises(SmallcoderError, match="no run with id 'zzz'"):
            r.detail("zzz")


def test_same_shape_as_the_store(db: Path, store: RunStore, runs: dict[str, str]) -> None:
    with RunReader(db) as r:
        assert r.detail(runs["b"]) == store.get_run(runs["b"])


def test_reader_cannot_write(db: Path, runs: dict[str, str]) -> None:
    with RunReader(db) as r, pytest.raises(sqlite3.OperationalError, match="readonly"):
        r._conn.execute("DELETE FROM runs")
    with RunStore(db) as s:
        assert len(s.list_runs(None)) == 3


def test_missing_database_is_created_empty(tmp_path: Path) -> None:
    with RunReader(tmp_path / "new" / "runs.sqlite3") as r:
        assert r.query(RunQuery()).total == 0 and r.facets().statuses == []


def test_a_file_that_is_not_a_run_database(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(SmallcoderError, match="not a smallcoder run database"):
        RunReader(other)


def test_reads_while_a_run_is_being_written(db: Path, store: RunStore) -> None:
    run_id = record_synthetic(store, 2)
    with RunReader(db) as r:
        assert r.query(RunQuery()).total == 1
        record_synthetic(store, 2)
        assert r.query(RunQuery()).total == 2 and r.detail(run_id)["run"]["steps"] == 2
