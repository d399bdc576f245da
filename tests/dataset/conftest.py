"""Fixtures: a real git repository with history, and a run store with runs recorded through its own events."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from smallcoder.agent.events import ModelCalled, RunFinished, RunResult, RunStarted, TestRun, TestsRan, ToolExecuted
from smallcoder.store.runs import RunStore
from smallcoder.types import Completion, ToolCall, Usage

SRC = Path(__file__).resolve().parents[2] / "src" / "smallcoder"
MODELS = Path.home() / ".cache" / "smallcoder-test-models"
MODEL_05B = MODELS / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Real code (smallcoder's own modules) committed in steps, with a secret, a GPL file, a binary,
    a duplicate and an ignored file among them."""
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    _git(root, "init", "-q")
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "pkg" / "formats.py").write_text((SRC / "fim" / "formats.py").read_text())
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "Initial import of the FIM formats")
    (root / "pkg" / "files.py").write_text((SRC / "repomap" / "files.py").read_text())
    (root / "pkg" / "copy_of_files.py").write_text((SRC / "repomap" / "files.py").read_text())
    (root / "pkg" / "settings.py").write_text(
        'API_URL = "https://example.invalid"\nSIGNING_KEY = "Zq8vR2xLp9TfW4mK7sYb3NcH6jDgA1Ue"\n'
        'TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n\n\ndef url() -> str:\n    return API_URL\n')
    (root / "pkg" / "gpl_thing.py").write_text("# SPDX-License-Identifier: GPL-3.0-or-later\n\ndef f():\n    return 1\n")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0" + bytes(range(256)))
    (root / "LICENSE").write_text("MIT License\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "Add the file lister and the settings module")
    text = (root / "pkg" / "settings.py").read_text().replace("return API_URL", "return API_URL.rstrip('/')")
    (root / "pkg" / "settings.py").write_text(text)
    _git(root, "commit", "-q", "-am", "settings.url(): drop a trailing slash so joined paths have one")
    (root / "build").mkdir()
    (root / "build" / "gen.py").write_text("x = 1\n")
    (root / "debug.log").write_text("noise\n")
    return root


def _record(store: RunStore, run_id: str, status: str, passed_after: bool) -> None:
    test = TestRun("pytest -q", False, 1, "FAILED test_mean - assert 6 == 3", 0.5)
    after = TestRun("pytest -q", passed_after, 0 if passed_after else 1, "1 passed", 0.4)
    store(RunStarted(run_id, "mean([2, 4]) returns 6", "/tmp/r", "/tmp/w", "b", "abc", "m.gguf", "pytest -q", 4096))
    store(TestsRan(run_id, "before", 0, test))
    call = ToolCall("read_file", {"path": "stats.py"}, "c1")
    store(ModelCalled(run_id, 1, Completion('<tool_call>\n{"name": "read_file", "arguments": {"path": "stats.py"}}\n'
                                            '</tool_call>', [call], Usage())))
    store(ToolExecuted(run_id, 1, call, "def mean(xs):\n    return sum(xs) / (len(xs) - 1)\n", True, 0.01))
    store(ModelCalled(run_id, 2, Completion('<tool_call>\n{"name": "submit", "arguments": {"summary": "fixed"}}\n'
                                            '</tool_call>', [], Usage())))
    store(TestsRan(run_id, "after", 2, after))
    store(RunFinished(run_id, RunResult(run_id, status, "", "/tmp/r", "/tmp/w", "b", "abc", None, "diff", "pytest -q",
                                        test, after, 2, 2, Usage(), 1.0, "m.gguf")))


@pytest.fixture
def store_db(tmp_path: Path) -> Path:
    """A run store with one verified run and one unresolved run."""
    db = tmp_path / "home" / "smallcoder.db"
    db.parent.mkdir()
    with RunStore(db) as store:
        _record(store, "run-good", "resolved", True)
        _record(store, "run-bad", "unresolved", False)
    return db


def needs_model() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not MODEL_05B.is_file(), reason="test model absent (fetch-test-models.sh)")
