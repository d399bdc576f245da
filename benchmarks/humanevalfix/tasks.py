"""HumanEvalFix tasks as real repositories: a buggy module, its tests, and an issue-like report.

Two layouts:
- single: solution.py (the buggy function) and test_solution.py; the report names the file.
- package: the buggy function hides among the correct solutions of the other tasks, five to a
  module in `kit/`, with every task's tests under `tests/`; the report names only the function,
  so finding the code is part of the work (this is where a repo map can help).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

GIT_IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]
VERIFY_TIMEOUT_S = 60  # the tests take under a second; pytest itself starts in a few


@dataclass
class FixTask:
    task_id: str
    entry_point: str
    source: str  # solution.py: declaration + buggy body
    tests: str  # test_solution.py
    report: str  # the issue text the agent gets
    correct: str  # docstring'd prompt + canonical solution, for the package layout's other functions
    index: int  # position in the task file, which decides the function's module in the package layout

    @property
    def slug(self) -> str:
        return self.task_id.replace("/", "-")


def load_tasks(path: Path, limit: int, offset: int = 0) -> list[FixTask]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [_to_task(rows[i], i) for i in range(offset, min(offset + limit, len(rows)))]


def _to_task(row: dict, index: int) -> FixTask:
    entry = row["entry_point"]
    test_body = row["test"].rstrip()
    call = f"check({entry})"
    if test_body.endswith(call):  # run the check from a test function, so pytest reports it
        test_body = test_body[: -len(call)].rstrip()
    tests = f"from solution import *\n\n{test_body.strip()}\n\n\ndef test_{entry}():\n    check({entry})\n"
    spec = "\n".join("    " + line for line in row["docstring"].strip().splitlines())
    report = (
        f"`{entry}` in solution.py gives wrong results (symptom: {row['failure_symptoms']}). "
        f"It should behave as specified:\n\n{spec}\n\nFix the bug in `{entry}`."
    )
    return FixTask(row["task_id"], entry, row["declaration"] + row["buggy_solution"], tests, report,
                   row["prompt"] + row["canonical_solution"], index)


def package_report(task: FixTask) -> str:
    """The report without the file name: in the package layout the agent must find the code."""
    return task.report.replace(f"`{task.entry_point}` in solution.py", f"`{task.entry_point}`", 1)


def module_of(task: FixTask) -> str:
    return f"kit/mod_{task.index // 5:02d}.py"


def make_repo(task: FixTask, where: Path, layout: str = "single", pool: list[FixTask] = ()) -> Path:
    """A git repository for `task`; the package layout also needs every task of the run (`pool`)."""
    if where.exists():  # left by an interrupted run: the task starts again from scratch
        shutil.rmtree(where)
    where.mkdir(parents=True)
    if layout == "single":
        (where / "solution.py").write_text(task.source, encoding="utf-8")
        (where / "test_solution.py").write_text(task.tests, encoding="utf-8")
    else:
        (where / "kit").mkdir()
        (where / "kit" / "__init__.py").write_text("", encoding="utf-8")
        for module, members in _modules(pool).items():
            body = "\n\n".join((m.source if m is task else m.correct).strip() for m in members)
            (where / module).write_text(body + "\n", encoding="utf-8")
        (where / "tests").mkdir()
        for member in pool:
            (where / _test_path(member)).write_text(_package_tests(member), encoding="utf-8")
    for args in (["init", "-q"], ["add", "-A"], [*GIT_IDENTITY, "commit", "-q", "-m", "task"]):
        subprocess.run(["git", *args], cwd=where, check=True, capture_output=True)
    return where


def test_command(layout: str) -> str:
    return f"{sys.executable} -m pytest -q -p no:cacheprovider " + ("test_solution.py" if layout == "single" else "tests")


def verify(task: FixTask, worktree: Path, scratch: Path, layout: str = "single") -> bool:
    """Run the task's ORIGINAL tests against the agent's code, so editing the tests cannot pass."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    code = "solution.py" if layout == "single" else module_of(task)
    if not (worktree / code).is_file():
        return False
    (scratch / code).parent.mkdir(parents=True, exist_ok=True)
    (scratch / code).write_text((worktree / code).read_text(encoding="utf-8"), encoding="utf-8")
    if layout == "single":
        (scratch / "test_solution.py").write_text(task.tests, encoding="utf-8")
        target = "test_solution.py"
    else:
        (scratch / "kit" / "__init__.py").write_text("", encoding="utf-8")
        (scratch / "tests").mkdir()
        target = _test_path(task)
        (scratch / target).write_text(_package_tests(task), encoding="utf-8")
    try:
        res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target],
                             cwd=scratch, capture_output=True, timeout=VERIFY_TIMEOUT_S)
    except subprocess.TimeoutExpired:  # the agent's code hangs (an endless loop): not resolved
        return False
    return res.returncode == 0


def _modules(pool: list[FixTask]) -> dict[str, list[FixTask]]:
    modules: dict[str, list[FixTask]] = {}
    for member in pool:
        modules.setdefault(module_of(member), []).append(member)
    return modules


def _test_path(task: FixTask) -> str:
    return f"tests/test_{task.entry_point}.py"


def _package_tests(task: FixTask) -> str:
    module = module_of(task).removesuffix(".py").replace("/", ".")
    return task.tests.replace("from solution import *", f"from {module} import *", 1)
