"""HumanEvalFix tasks as real repositories: a buggy module, its tests, and an issue-like report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

GIT_IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]


@dataclass
class FixTask:
    task_id: str
    entry_point: str
    source: str  # solution.py: declaration + buggy body
    tests: str  # test_solution.py
    report: str  # the issue text the agent gets

    @property
    def slug(self) -> str:
        return self.task_id.replace("/", "-")


def load_tasks(path: Path, limit: int, offset: int = 0) -> list[FixTask]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [_to_task(r) for r in rows[offset : offset + limit]]


def _to_task(row: dict) -> FixTask:
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
    return FixTask(row["task_id"], entry, row["declaration"] + row["buggy_solution"], tests, report)


def make_repo(task: FixTask, where: Path) -> Path:
    if where.exists():  # left by an interrupted run: the task starts again from scratch
        shutil.rmtree(where)
    where.mkdir(parents=True)
    (where / "solution.py").write_text(task.source, encoding="utf-8")
    (where / "test_solution.py").write_text(task.tests, encoding="utf-8")
    for args in (["init", "-q"], ["add", "-A"], [*GIT_IDENTITY, "commit", "-q", "-m", "task"]):
        subprocess.run(["git", *args], cwd=where, check=True, capture_output=True)
    return where


def verify(task: FixTask, worktree: Path, scratch: Path) -> bool:
    """Run the ORIGINAL tests against the agent's solution.py, so editing the tests cannot pass."""
    scratch.mkdir(parents=True, exist_ok=True)
    solution = worktree / "solution.py"
    if not solution.is_file():
        return False
    (scratch / "solution.py").write_text(solution.read_text(encoding="utf-8"), encoding="utf-8")
    (scratch / "test_solution.py").write_text(task.tests, encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_solution.py"],
                         cwd=scratch, capture_output=True, timeout=120)
    return res.returncode == 0
