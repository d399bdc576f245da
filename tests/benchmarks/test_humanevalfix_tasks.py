"""The HumanEvalFix task repositories the benchmark builds: the bug must show, and the check must be able to fail."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TASK_FILE = ROOT.parent / "shared" / "benchmarks" / "humanevalfix" / "python.jsonl"

pytestmark = pytest.mark.skipif(not TASK_FILE.is_file(), reason="the shared HumanEvalFix task file is not here")


def load_module():
    spec = importlib.util.spec_from_file_location("humanevalfix_tasks", ROOT / "benchmarks" / "humanevalfix" / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tasks():
    return load_module()


def fix_in_place(tasks, task, repo, layout):
    code = repo / ("solution.py" if layout == "single" else tasks.module_of(task))
    text = code.read_text()
    assert task.source.strip() in text
    code.write_text(text.replace(task.source.strip(), task.correct.strip()))


def test_single_layout_fails_before_and_passes_with_the_canonical_fix(tasks, tmp_path):
    task = tasks.load_tasks(TASK_FILE, 1, offset=2)[0]
    repo = tasks.make_repo(task, tmp_path / "repo")
    assert "solution.py" in task.report
    assert not tasks.verify(task, repo, tmp_path / "check")
    fix_in_place(tasks, task, repo, "single")
    assert tasks.verify(task, repo, tmp_path / "check")


def test_package_layout_hides_the_bug_among_correct_functions(tasks, tmp_path):
    pool = tasks.load_tasks(TASK_FILE, 10)
    task = pool[7]
    repo = tasks.make_repo(task, tmp_path / "repo", "package", pool)
    assert sorted(p.name for p in (repo / "kit").glob("mod_*.py")) == ["mod_00.py", "mod_01.py"]
    report = tasks.package_report(task)
    assert "solution.py" not in report and task.entry_point in report

    run = subprocess.run(tasks.test_command("package"), shell=True, cwd=repo, capture_output=True, text=True)
    assert run.returncode != 0
    assert f"FAILED tests/test_{task.entry_point}.py" in run.stdout and "1 failed, 9 passed" in run.stdout

    assert not tasks.verify(task, repo, tmp_path / "check", "package")
    fix_in_place(tasks, task, repo, "package")
    assert tasks.verify(task, repo, tmp_path / "check", "package")


def test_code_that_hangs_is_not_resolved(tasks, tmp_path, monkeypatch):
    task = tasks.load_tasks(TASK_FILE, 1)[0]
    repo = tasks.make_repo(task, tmp_path / "repo")
    (repo / "solution.py").write_text(f"def {task.entry_point}(*args):\n    while True:\n        pass\n")
    monkeypatch.setattr(tasks, "VERIFY_TIMEOUT_S", 3)
    assert not tasks.verify(task, repo, tmp_path / "check")
