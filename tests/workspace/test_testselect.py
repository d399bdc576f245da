"""Test selection with real pytest runs in a real git worktree: narrowed runs hold exactly the failing tests
and the changed test files; quick suites and other runners are never narrowed. (Durations are given, not
measured: a timing is never what a test checks.)"""

from __future__ import annotations

import sys
from pathlib import Path

from smallcoder.workspace.runner import run_command
from smallcoder.workspace.testselect import (
    TestSelection,
    changed_test_files,
    failed_node_ids,
    is_pytest,
)

from .conftest import git

PYTEST = f"{sys.executable} -m pytest -q -p no:cacheprovider"
QUIET = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # the plugins installed with smallcoder only cost time here


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_a.py").write_text("def test_a1():\n    assert 1 == 2\n\ndef test_a2():\n    assert True\n")
    (root / "tests" / "test_b.py").write_text("import pytest\n\n@pytest.mark.parametrize('x', [1, 2])\n"
                                              "def test_b(x):\n    assert x == 1\n")
    (root / "tests" / "test_c.py").write_text("def test_c():\n    assert True\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


def test_failed_ids_come_from_a_real_pytest_summary(tmp_path: Path) -> None:
    root = project(tmp_path)
    out = run_command(PYTEST, root, timeout=120, env=QUIET).output
    assert failed_node_ids(out) == ["tests/test_a.py::test_a1", "tests/test_b.py::test_b[2]"]
    (root / "tests" / "test_d.py").write_text("import not_a_module_anywhere\n")  # collection stops the run
    out = run_command(PYTEST, root, timeout=120, env=QUIET).output
    assert failed_node_ids(out) == ["tests/test_d.py"]


def test_a_slow_suite_is_narrowed_to_failures_and_changed_test_files(tmp_path: Path) -> None:
    root = project(tmp_path)
    select = TestSelection(PYTEST, root, min_suite_s=20)
    before = run_command(select.command_for("before"), root, timeout=120, env=QUIET)
    assert before.command == PYTEST
    select.saw_full_run(before.output, duration_s=95.0)  # as if the suite took minutes
    (root / "tests" / "test_new.py").write_text("def test_new():\n    assert True\n")  # the model adds a test
    assert changed_test_files(root) == ["tests/test_new.py"]
    narrowed = select.command_for("step")
    assert narrowed.startswith(PYTEST + " ") and "test_c" not in narrowed
    out = run_command(narrowed, root, timeout=120, env=QUIET).output
    assert "2 failed, 1 passed in" in out  # a1 and b[2] fail, the new test passes; a2, b[1], c did not run
    assert select.command_for("after") == PYTEST  # the verdict is always the whole suite


def test_quick_suites_and_other_runners_run_whole(tmp_path: Path) -> None:
    root = project(tmp_path)
    select = TestSelection(PYTEST, root, min_suite_s=20)
    select.saw_full_run("FAILED tests/test_a.py::test_a1 - assert 1 == 2\n", duration_s=3.0)
    assert select.command_for("step") == PYTEST
    npm = TestSelection("npm test", root, min_suite_s=0)
    npm.saw_full_run("FAILED tests/test_a.py::test_a1\n", duration_s=300.0)
    assert npm.command_for("step") == "npm test"
    assert is_pytest("pytest") and is_pytest(".venv/bin/python -m pytest -q") and is_pytest("tox -e py -- pytest")
    assert not is_pytest("python -m unittest discover") and not is_pytest("make test")


def test_the_agents_test_runs_go_through_the_selection(tmp_path: Path) -> None:
    from smallcoder.agent.loop import Agent, AgentConfig
    from smallcoder.backends.scripted import ScriptedBackend
    from smallcoder.tools import ToolContext, default_tools

    root = project(tmp_path)
    command = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {PYTEST}"
    agent = Agent(ScriptedBackend(outputs=[]), default_tools(), ToolContext(root=root, test_command=command),
                  AgentConfig(), "r1")
    agent.select_tests = TestSelection(command, root, min_suite_s=0)
    before = agent.run_tests("before")
    assert not before.passed and before.command == command
    (root / "tests" / "test_a.py").write_text("def test_a1():\n    assert 2 == 2\n")  # what an edit does
    step = agent.run_tests("step")
    assert step.command != command  # narrowed: the failures and the edited test file
    assert "tests/test_a.py::test_a1" in step.command and "test_c" not in step.command
    assert "1 failed, 1 passed in" in step.output  # b[2] still fails, a1 passes; a2 (gone), b[1], c not run
    assert agent.run_tests("after").command == command
