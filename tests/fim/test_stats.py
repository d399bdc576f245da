"""Acceptance statistics in the store, and `smallcoder complete stats` / argument errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from smallcoder.cli.complete import parse_target
from smallcoder.errors import SmallcoderError
from smallcoder.store.fim_stats import FimStats


def test_shown_accepted_partial_summary(tmp_path):
    stats = FimStats(tmp_path / "runs.sqlite3")
    a = stats.shown(language="python", model="m", text="x = 1", latency_ms=100)
    b = stats.shown(language="python", model="m", text="foo(a, b)\nbar()", latency_ms=300)
    stats.shown(language="python", model="m", text="never", latency_ms=200)
    stats.shown(language="go", model="m", text="y := 2", latency_ms=50)
    stats.outcome(a, "accepted")
    stats.outcome(b, "partial", 9)
    rows = {r.language: r for r in stats.summary()}
    py = rows["python"]
    assert (py.shown, py.accepted, py.partial, py.accepted_chars) == (3, 1, 1, 5 + 9)
    assert py.acceptance_pct == pytest.approx(66.7) and py.p50_latency_ms == 200
    assert rows["go"].accepted == 0
    with pytest.raises(SmallcoderError, match="no completion 999"):
        stats.outcome(999, "accepted")
    with pytest.raises(SmallcoderError, match="unknown completion outcome"):
        stats.outcome(a, "maybe")
    stats.close()


def test_parse_target():
    assert parse_target("src/a.py:12:5")[1:] == (11, 4)
    for bad in ("src/a.py", "a.py:0:1", "a.py:x:1"):
        with pytest.raises(SmallcoderError):
            parse_target(bad)


def run_cli(*args, home):
    code = "from smallcoder.cli.app import main; main()"
    return subprocess.run([sys.executable, "-c", code, "complete", *args], capture_output=True, text=True,
                          env={"SMALLCODER_HOME": str(home), "PATH": "/usr/bin:/bin",
                               "SMALLCODER_CONFIG": str(home / "none.toml")}, timeout=120)


def test_cli_stats_and_bad_input(tmp_path):
    stats = FimStats(tmp_path / "runs.sqlite3")
    stats.outcome(stats.shown(language="python", model="m.gguf", text="abc", latency_ms=10), "accepted")
    stats.close()
    out = run_cli("stats", "--json", home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0]["acceptance_pct"] == 100.0
    bad = run_cli("missing.py:1:1", home=tmp_path)
    assert bad.returncode == 2 and "file not found: missing.py" in bad.stderr and len(bad.stderr.strip().split("\n")) == 1
