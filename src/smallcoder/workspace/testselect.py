"""Which tests to run after an edit: the ones that failed and the test files the edit touched, not the suite.

A suite that takes minutes cannot run after every edit of a run that makes several. So, once the tests have
run in full before any change, each later run during the agent's work is narrowed to

    the tests that failed in the full run (pytest node ids, read from its summary)
  + the test files the run has changed or added (git status of the worktree)

and the whole suite runs once at the end (the pipeline's verification, which never trusts a narrowed run).
A suite that is quick (under `min_suite_s`) always runs whole: narrowing would buy nothing and could miss a
regression the model should see. Only pytest is narrowed (its node ids are exact and stable); other runners
run whole. Node ids follow pytest's documented format `path::Class::test[param]`
(https://docs.pytest.org/en/stable/how-to/usage.html#specifying-which-tests-to-run).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.workspace.git import git

MIN_SUITE_S = 20.0  # a full run faster than this is never narrowed
MAX_IDS = 200  # past this many failures, the narrowed run would be the suite anyway
# pytest's short summary: "FAILED tests/test_x.py::test_y - AssertionError…", "ERROR tests/test_z.py - …"
SUMMARY_LINE = re.compile(r"^(?:FAILED|ERROR) (\S+?\.py(?:::\S+)?)(?: - .*)?$", re.MULTILINE)
PYTEST = re.compile(r"(?:^|[\s/])(?:py\.test|pytest)(?:\s|$)|-m\s+pytest\b")


def is_pytest(command: str) -> bool:
    return bool(PYTEST.search(command))


def failed_node_ids(output: str) -> list[str]:
    """pytest node ids of failed and erroring tests (or files that failed to collect), in report order."""
    return list(dict.fromkeys(m.group(1) for m in SUMMARY_LINE.finditer(output)))


def changed_test_files(worktree: Path) -> list[str]:
    """Test files (test_*.py, *_test.py) changed or added in the worktree since its last commit."""
    raw = git(["status", "--porcelain", "-z", "--untracked-files=all"], worktree).stdout.decode("utf-8", "replace")
    out = []
    for entry in filter(None, raw.split("\0")):
        path = entry[3:]
        name = Path(path).name
        if entry[:2] != " D" and name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
            out.append(path)
    return out


@dataclass
class TestSelection:
    """Narrows the test runs of one agent run; `command_for` gives the command each test run uses.

    `full_command` is the suite; `full_run_s` how long its first run took; `failed` its failing node ids.
    """

    __test__ = False  # not a test class, whatever pytest thinks of the name

    full_command: str
    worktree: Path
    min_suite_s: float = MIN_SUITE_S
    full_run_s: float | None = None
    failed: list[str] = field(default_factory=list)

    def saw_full_run(self, output: str, duration_s: float) -> None:
        """Record the suite's run before any change (its time decides whether later runs are narrowed)."""
        self.full_run_s = duration_s
        self.failed = failed_node_ids(output)

    def command_for(self, phase: str) -> str:
        """The full suite for "before" and "after" and when narrowing does not apply; else the narrowed run."""
        if phase != "step" or not self.narrows():
            return self.full_command
        ids = list(dict.fromkeys([*self.failed, *changed_test_files(self.worktree)]))
        if not ids or len(ids) > MAX_IDS:
            return self.full_command
        return f"{self.full_command} {' '.join(shlex.quote(i) for i in ids)}"

    def narrows(self) -> bool:
        return (is_pytest(self.full_command) and self.full_run_s is not None
                and self.full_run_s >= self.min_suite_s)
