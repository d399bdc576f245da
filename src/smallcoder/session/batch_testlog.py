"""Running listed tests with pytest and reading each test's outcome from its report.

pytest's short test summary (`-rA`) prints one line per test: `PASSED path::name`,
`FAILED path::name - message`, `ERROR path::name - message`, `SKIPPED [1] path:line: reason`,
`XFAIL`/`XPASS path::name`. Those node ids are the ids SWE-bench lists in FAIL_TO_PASS and
PASS_TO_PASS for pytest projects (its log parser reads the same lines), so a run of the listed
ids gives a verdict per id.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from smallcoder.workspace.runner import run_command

STATUS_LINE = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS)\s+(\S.*?)(?:\s+-\s+.*)?$")
PASSING = {"PASSED", "XFAIL"}  # an expected failure counts as passing, as in SWE-bench
# Collection failures mean the environment, not the code under test, is broken.
SETUP_MARKERS = ("ModuleNotFoundError", "ImportError while loading conftest", "No module named pytest",
                 "INTERNALERROR", "usage: ")


@dataclass
class TestOutcome:
    """Per-test results of one pytest run: `statuses` maps node id → PASSED/FAILED/ERROR/XFAIL/XPASS."""

    statuses: dict[str, str]
    exit_code: int | None
    output: str
    timed_out: bool
    duration_s: float

    def passed(self, test_id: str) -> bool:
        return self.statuses.get(test_id) in PASSING

    @property
    def setup_failed(self) -> bool:
        """True when pytest itself could not run (no pytest, import error at collection, bad usage)."""
        if self.timed_out:
            return False
        if self.exit_code in (3, 4) or self.exit_code == 127:  # internal error, usage error, no interpreter
            return True
        return not self.statuses and any(marker in self.output for marker in SETUP_MARKERS)


def parse_summary(output: str) -> dict[str, str]:
    """Node id → status from pytest `-rA` output (the last status wins when an id repeats)."""
    statuses: dict[str, str] = {}
    for line in output.splitlines():
        m = STATUS_LINE.match(line.strip())
        if m:
            statuses[m.group(2)] = m.group(1)
    return statuses


def test_env(repo: Path, extra: dict[str, str]) -> dict[str, str]:
    """Environment for a test run in `repo`: the task's variables, with `src/` on PYTHONPATH for src layouts."""
    env = dict(extra)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if not paths and (repo / "src").is_dir():
        paths = ["src"]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(str(repo / p) if not os.path.isabs(p) else p for p in paths)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def pytest_command(test_ids: list[str] | tuple[str, ...], python: str | None = None) -> str:
    """The command line that runs exactly `test_ids` and prints a status line for each."""
    exe = shlex.quote(python or sys.executable)
    ids = " ".join(shlex.quote(t) for t in test_ids)
    return f"{exe} -m pytest -rA --tb=short -q -p no:cacheprovider -W ignore::DeprecationWarning {ids}"


def run_tests(repo: Path, test_ids: list[str] | tuple[str, ...], env: dict[str, str], *,
              timeout: float = 300.0, python: str | None = None) -> TestOutcome:
    """Run the files holding `test_ids` with pytest in `repo`; each id's status comes from the summary lines.

    Whole files, not the ids themselves: pytest refuses a whole run when one id cannot be found, and
    parametrized ids may hold characters a command line mangles. An id absent from the output failed.
    """
    files = sorted({test_id.split("::")[0] for test_id in test_ids})
    result = run_command(pytest_command(files, python), repo, timeout=timeout, env=test_env(repo, env),
                         max_output_chars=400_000)
    return TestOutcome(parse_summary(result.output), result.exit_code, result.output, result.timed_out,
                       result.duration_s)


def run_all(repo: Path, env: dict[str, str], test_cmd: str | None, *, timeout: float = 300.0,
            python: str | None = None) -> TestOutcome:
    """Run the whole suite: `test_cmd` when given, else pytest over the repository, with status lines."""
    command = test_cmd or pytest_command([], python)
    result = run_command(command, repo, timeout=timeout, env=test_env(repo, env), max_output_chars=400_000)
    return TestOutcome(parse_summary(result.output), result.exit_code, result.output, result.timed_out,
                       result.duration_s)
