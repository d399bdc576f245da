from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from smallcoder.agent.events import RunStarted
from smallcoder.cli.runs import runs_app
from smallcoder.store import RunStore

runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def test_list_empty(home: Path) -> None:
    result = runner.invoke(runs_app, ["list"], env=ENV)
    assert result.exit_code == 0, result.output
    assert "No runs recorded yet" in result.stdout
    result = runner.invoke(runs_app, ["list", "--json"], env=ENV)
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_list_table(record_full_run: Callable[..., str], store: RunStore,
                    make_started: Callable[..., RunStarted]) -> None:
    run_id = record_full_run()
    store.record(make_started("zzzz0000live", task="Second task\nmore words"))
    result = runner.invoke(runs_app, ["list"], env=ENV)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert run_id in out and "resolved" in out and "✗→✓" in out
    assert "2000+140" in out and "12.5s" in out and "Fix add()" in out
    assert "add(2, 2)" not in out  # only the task's first line
    assert "zzzz0000live" in out and "running" in out and "Second task" in out
    assert out.index("zzzz0000live") < out.index(run_id)  # newest first


def test_list_json_and_limit(record_full_run: Callable[..., str]) -> None:
    ids = [record_full_run() for _ in range(3)]
    result = runner.invoke(runs_app, ["list", "--json", "--limit", "2"], env=ENV)
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    assert [r["id"] for r in runs] == ids[:0:-1]
    assert runs[0]["status"] == "resolved" and runs[0]["tests_after_passed"] is True


def test_show(record_full_run: Callable[..., str]) -> None:
    run_id = record_full_run()
    result = runner.invoke(runs_app, ["show", run_id[:10]], env=ENV)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"run {run_id}" in out and "resolved" in out and "tests pass" in out
    assert "qwen2.5-coder:1.5b" in out and "feedface" in out
    assert "step 1" in out and "step 2" in out
    assert "900 prompt (0% cached) + 60 completion tokens · 1.5s" in out  # first model call's tokens and latency
    assert "1100 prompt (80% cached) + 80 completion tokens" in out
    assert 'read_file(path="calc.py")' in out and "def add(a, b):" in out
    assert "format problem: no tool call found" in out
    assert "↻ attempt 2 from the start (temperature 0.7): repeated an earlier answer" in out
    assert "<tool_call>" in out  # model text is escaped, not eaten as markup
    assert "tests before: failed (exit 1)" in out and "tests after: passed" in out
    assert "+    return a + b" in out  # the diff, at the end
    assert out.index("step 2") < out.index("final tests") < out.index("+    return a + b")


def test_show_json(record_full_run: Callable[..., str]) -> None:
    run_id = record_full_run()
    result = runner.invoke(runs_app, ["show", run_id, "--json"], env=ENV)
    assert result.exit_code == 0, result.output
    detail = json.loads(result.stdout)
    assert detail["run"]["id"] == run_id and detail["run"]["diff"].startswith("diff --git")
    assert len(detail["model_calls"]) == 2 and len(detail["tool_executions"]) == 2
    assert len(detail["test_runs"]) == 3 and len(detail["format_problems"]) == 1
    assert len(detail["fresh_attempts"]) == 1


def test_show_unknown_and_ambiguous(store: RunStore, make_started: Callable[..., RunStarted]) -> None:
    store.record(make_started("abc111"))
    store.record(make_started("abc222"))
    result = runner.invoke(runs_app, ["show", "nope"], env=ENV)
    assert result.exit_code == 2  # bad usage (cli/exitcodes.py)
    assert "no run with id 'nope'" in result.stderr and result.stdout == ""
    result = runner.invoke(runs_app, ["show", "abc", "--json"], env=ENV)
    assert result.exit_code == 2 and "ambiguous" in result.stderr


def test_show_unfinished_run_without_diff(store: RunStore, make_started: Callable[..., RunStarted]) -> None:
    store.record(make_started("open0001"))
    result = runner.invoke(runs_app, ["show", "open"], env=ENV)
    assert result.exit_code == 0, result.output
    assert "running" in result.stdout and "(no changes)" in result.stdout
