"""Judging a prediction with the task's hidden tests, SWE-bench style, environment failures kept apart.

    pristine checkout at base_commit ─► + test_patch ─► run the listed tests   (environment check)
    pristine checkout at base_commit ─► + model_patch ─► + test_patch ─► run them again (verdict)

The first run needs no model: when pytest cannot even start there, or a PASS_TO_PASS test
already fails, the task's environment is broken and the instance is an *environment error* —
never a model failure. The second run decides: resolved when every FAIL_TO_PASS and
PASS_TO_PASS test passes (the rule of SWE-bench's harness, `grading.py`). A patch that does not
apply, or makes the test patch not apply, is unresolved, as in SWE-bench.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from smallcoder.errors import WorkspaceError
from smallcoder.session.batch_repo import apply_patch, checkout, source_url
from smallcoder.session.batch_tasks import BatchTask
from smallcoder.session.batch_testlog import TestOutcome, run_all, run_tests

RESOLVED, UNRESOLVED, ENV_ERROR = "resolved", "unresolved", "env_error"


@dataclass
class Evaluation:
    """The verdict on one prediction: `verdict` is resolved, unresolved or env_error; `reason` says why."""

    verdict: str
    reason: str
    fail_to_pass: dict[str, bool] = field(default_factory=dict)  # test id → passed after the patch
    pass_to_pass: dict[str, bool] = field(default_factory=dict)
    duration_s: float = 0.0
    log: str = ""  # the verdict run's output, tail only

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("log")
        return data


def _fresh(url: str, task: BatchTask, dest: Path, cache: Path) -> None:
    checkout(url, task.base_commit, dest, cache)


def _run(task: BatchTask, repo: Path, timeout: float) -> TestOutcome:
    if task.fail_to_pass or task.pass_to_pass:
        return run_tests(repo, [*task.fail_to_pass, *task.pass_to_pass], task.env, timeout=timeout)
    return run_all(repo, task.env, task.test_cmd, timeout=timeout)


def _tail(text: str, n: int = 6000) -> str:
    return text[-n:]


def check_environment(task: BatchTask, url: str, workdir: Path, cache: Path, timeout: float) -> Evaluation | None:
    """An env_error Evaluation when the task's tests cannot run on the pristine base; None when they can."""
    base = workdir / "eval-env"
    try:
        _fresh(url, task, base, cache)
    except WorkspaceError as e:
        return Evaluation(ENV_ERROR, f"checkout failed: {e}")
    problem = apply_patch(base, task.test_patch)
    if problem:
        return Evaluation(ENV_ERROR, f"the test patch does not apply to the base commit: {problem}")
    outcome = _run(task, base, timeout)
    shutil.rmtree(base, ignore_errors=True)
    if outcome.setup_failed:
        return Evaluation(ENV_ERROR, "the tests cannot start on the base commit (see log)", log=_tail(outcome.output))
    if outcome.timed_out:
        return Evaluation(ENV_ERROR, f"the tests time out on the base commit (limit {timeout:.0f} s)")
    broken = [t for t in task.pass_to_pass if not outcome.passed(t)]
    if broken:
        return Evaluation(ENV_ERROR, f"{len(broken)} PASS_TO_PASS test(s) fail before any change, e.g. {broken[0]}",
                          log=_tail(outcome.output))
    return None


def evaluate(task: BatchTask, model_patch: str, workdir: Path, cache: Path, *,
             base_dir: Path | None = None, timeout: float = 300.0) -> Evaluation:
    """Judge `model_patch` on `task` with its hidden tests (see the module doc for the steps).

    `workdir` holds the scratch checkouts (removed afterwards); `cache` holds the repository
    mirrors. Raises nothing for the task's own failures: they come back as the verdict.
    """
    if not task.evaluable:
        return Evaluation(UNRESOLVED, "the task gives no hidden tests (FAIL_TO_PASS or test_patch + test_cmd)")
    try:
        url = source_url(task.repo, base_dir or Path.cwd())
    except WorkspaceError as e:
        return Evaluation(ENV_ERROR, str(e))
    env_problem = check_environment(task, url, workdir, cache, timeout)
    if env_problem:
        return env_problem
    if not model_patch.strip():
        return Evaluation(UNRESOLVED, "empty patch")
    repo = workdir / "eval-patched"
    _fresh(url, task, repo, cache)
    try:
        problem = apply_patch(repo, model_patch)
        if problem:
            return Evaluation(UNRESOLVED, f"the patch does not apply: {problem}")
        problem = apply_patch(repo, task.test_patch)
        if problem:
            return Evaluation(UNRESOLVED, f"the test patch does not apply after the model's patch: {problem}")
        outcome = _run(task, repo, timeout)
    finally:
        shutil.rmtree(repo, ignore_errors=True)
    f2p = {t: outcome.passed(t) for t in task.fail_to_pass}
    p2p = {t: outcome.passed(t) for t in task.pass_to_pass}
    if outcome.timed_out:
        return Evaluation(UNRESOLVED, f"the tests timed out (limit {timeout:.0f} s)", f2p, p2p,
                          outcome.duration_s, _tail(outcome.output))
    if f2p or p2p:
        ok = all(f2p.values()) and all(p2p.values())
        failing = [t for t, passed in {**f2p, **p2p}.items() if not passed]
        reason = "all listed tests pass" if ok else f"{len(failing)} listed test(s) fail, e.g. {failing[0]}"
    else:
        ok = outcome.exit_code == 0
        reason = "the test command passes" if ok else f"the test command fails (exit code {outcome.exit_code})"
    return Evaluation(RESOLVED if ok else UNRESOLVED, reason, f2p, p2p, outcome.duration_s, _tail(outcome.output))
