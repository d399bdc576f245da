from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from smallcoder.agent import events
from smallcoder.agent.events import ModelCalled, RunFinished, RunResult, RunStarted
from smallcoder.errors import SmallcoderError
from smallcoder.store import RunStore
from smallcoder.types import Completion, Usage


SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_full_run_reads_back(store: RunStore, record_full_run: Callable[..., str]) -> None:
    run_id = record_full_run()
    detail = store.get_run(run_id)
    run = detail["run"]
    assert run["id"] == run_id
    assert run["status"] == "resolved" and run["reason"] == "tests pass"
    assert run["task"].startswith("Fix add()")
    assert (run["repo"], run["branch"], run["model"]) == ("/src/calc", f"smallcoder/{run_id}", "qwen2.5-coder:1.5b")
    assert run["context_window"] == 8192 and run["test_command"] == "pytest -q"
    assert run["commit_sha"] == "feedface" and run["diff"].startswith("diff --git a/calc.py")
    assert run["tests_before_passed"] is False and run["tests_after_passed"] is True
    assert (run["steps"], run["model_calls"]) == (2, 2)
    assert (run["prompt_tokens"], run["completion_tokens"], run["cached_tokens"]) == (2000, 140, 880)
    assert run["wall_s"] == 12.5 and run["started_at"] and run["finished_at"]
    assert run["pid"] == os.getpid()
    assert run["extra"] == {"note": "synthetic"}

    calls = detail["model_calls"]
    assert [(c["step"], c["prompt_tokens"], c["finish_reason"]) for c in calls] == [
        (1, 900, "tool_calls"), (2, 1100, "stop")]
    assert calls[0]["tool_calls"] == [{"name": "read_file", "arguments": {"path": "calc.py"}, "id": "c1"}]
    assert calls[1]["latency_s"] == 2.0 and "<tool_call>" in calls[1]["text"]

    tools = detail["tool_executions"]
    assert [(t["step"], t["tool"], t["ok"]) for t in tools] == [(1, "read_file", True), (2, "str_replace", True)]
    assert tools[1]["arguments"] == {"path": "calc.py", "old": "a - b", "new": "a + b"}
    assert tools[0]["observation"].startswith("def add")

    tests = detail["test_runs"]
    assert [(t["phase"], t["passed"], t["exit_code"], t["timed_out"]) for t in tests] == [
        ("before", False, 1, False), ("step", True, 0, False), ("after", True, 0, False)]
    assert detail["format_problems"][0]["message"].startswith("no tool call found")
    assert detail["format_problems"][0]["step"] == 2
    assert [(a["step"], a["attempt"], a["temperature"]) for a in detail["fresh_attempts"]] == [(2, 2, 0.7)]


def test_each_event_is_visible_at_once_to_another_connection(
    make_started: Callable[..., RunStarted], home: Path
) -> None:
    writer, reader = RunStore(), RunStore()
    writer.record(make_started("live0001"))
    writer.record(ModelCalled("live0001", 1, Completion("hi", usage=Usage(100, 10, 40))))
    run = reader.get_run("live0001")["run"]
    assert run["status"] == "running"  # this process is alive
    assert (run["model_calls"], run["steps"], run["prompt_tokens"], run["cached_tokens"]) == (1, 1, 100, 40)
    writer.close(), reader.close()


def test_list_runs_newest_first_and_limit(store: RunStore, record_full_run: Callable[..., str]) -> None:
    ids = [record_full_run() for _ in range(3)]
    listed = store.list_runs()
    assert [r["id"] for r in listed] == ids[::-1]
    assert "diff" not in listed[0] and listed[0]["status"] == "resolved"
    assert len(store.list_runs(limit=2)) == 2
    assert len(store.list_runs(limit=None)) == 3


def test_prefix_lookup(make_started: Callable[..., RunStarted], store: RunStore) -> None:
    store.record(make_started("abc111"))
    store.record(make_started("abd222"))
    assert store.get_run("abc")["run"]["id"] == "abc111"
    assert store.get_run("ABD")["run"]["id"] == "abd222"
    assert store.get_run("abc111")["run"]["id"] == "abc111"
    assert store.resolve_id("  abd2 ") == "abd222"


def test_unknown_and_ambiguous_ids(make_started: Callable[..., RunStarted], store: RunStore) -> None:
    store.record(make_started("abc111"))
    store.record(make_started("abc222"))
    with pytest.raises(SmallcoderError, match="no run with id 'zzz'.*runs list"):
        store.get_run("zzz")
    with pytest.raises(SmallcoderError, match="ambiguous.*abc111, abc222.*more characters"):
        store.get_run("abc")
    with pytest.raises(SmallcoderError, match="no run id given"):
        store.get_run(" ")


def test_exact_id_wins_over_longer_ids_sharing_it_as_prefix(
    make_started: Callable[..., RunStarted], store: RunStore
) -> None:
    store.record(make_started("abc"))
    store.record(make_started("abc1"))
    assert store.get_run("abc")["run"]["id"] == "abc"


def test_finish_without_start_still_records(store: RunStore) -> None:
    result = RunResult(
        run_id="late01", status="error", reason="backend down", repo="/r", worktree="/w", branch="b",
        base_commit="c", commit=None, diff="", test_command=None, tests_before=None, tests_after=None,
        steps=0, model_calls=0, usage=Usage(), wall_s=3.0, model="m",
    )
    store.record(RunFinished("late01", result))
    run = store.get_run("late01")["run"]
    assert run["status"] == "error" and run["started_at"] < run["finished_at"]
    assert run["tests_before_passed"] is None and run["extra"] == {}


def test_finish_keeps_start_values_the_result_lacks(
    make_started: Callable[..., RunStarted], store: RunStore
) -> None:
    store.record(make_started("keep01"))
    store.record(events.TestsRan("keep01", "before", 0, events.TestRun("pytest", False, 1, "", 0.1)))
    result = RunResult(
        run_id="keep01", status="cancelled", reason="Ctrl-C", repo="", worktree="", branch="", base_commit="",
        commit=None, diff="", test_command=None, tests_before=None, tests_after=None, steps=1, model_calls=0,
        usage=Usage(), wall_s=1.0, model="",
    )
    store.record(RunFinished("keep01", result, extra={"path": Path("/x")}))
    run = store.get_run("keep01")["run"]
    assert run["repo"] == "/src/calc" and run["test_command"] == "pytest -q"
    assert run["tests_before_passed"] is False and run["status"] == "cancelled"
    assert run["extra"] == {"path": "/x"}


def test_unknown_event_is_ignored(store: RunStore) -> None:
    store.record(object())  # type: ignore[arg-type]
    assert store.list_runs() == []


def test_interrupted_run_from_dead_process(
    make_started: Callable[..., RunStarted], home: Path, store: RunStore
) -> None:
    # A separate process records RunStarted and a model call, then exits without RunFinished.
    code = (
        "from smallcoder.store import RunStore\n"
        "from smallcoder.agent.events import RunStarted, ModelCalled\n"
        "from smallcoder.types import Completion, Usage\n"
        "s = RunStore()\n"
        "s(RunStarted('dead0001', 'task', '/r', '/w', 'b', 'c', 'm', None, 4096))\n"
        "s(ModelCalled('dead0001', 1, Completion('x', usage=Usage(10, 2))))\n"
        "import os; os._exit(1)  # no close, no finish: like a kill\n"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.run([sys.executable, "-c", code], env=env)
    assert proc.returncode == 1
    store.record(make_started("live0001"))

    by_id = {r["id"]: r for r in store.list_runs()}
    assert by_id["dead0001"]["status"] == "interrupted"
    assert by_id["dead0001"]["model_calls"] == 1 and by_id["dead0001"]["finished_at"] is None
    assert by_id["live0001"]["status"] == "running"
    assert store.get_run("dead")["run"]["status"] == "interrupted"


def test_event_for_unknown_run_raises_and_store_stays_usable(
    make_started: Callable[..., RunStarted], store: RunStore
) -> None:
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):  # events out of order are a bug in the caller
        store.record(ModelCalled("ghost", 1, Completion("x")))
    store.record(make_started("after01"))  # the failed write was rolled back, not left open
    assert store.get_run("after01")["run"]["model_calls"] == 0


def test_concurrent_writers_from_threads(make_started: Callable[..., RunStarted], store: RunStore) -> None:
    import threading

    store.record(make_started("thr01"))

    def work(worker: int) -> None:
        for i in range(25):
            store(ModelCalled("thr01", worker * 100 + i, Completion("x", usage=Usage(10, 1))))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run = store.get_run("thr01")["run"]
    assert (run["model_calls"], run["prompt_tokens"], run["steps"]) == (100, 1000, 100)
