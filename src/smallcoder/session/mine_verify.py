"""Verifying a mined candidate: which tests fail before the fix and pass after, judged as a batch would.

    parent + test_patch          ─► run the changed test files ─► statuses before
    parent + test_patch + patch  ─► run them again              ─► statuses after
    FAIL_TO_PASS = passing after, not before;  PASS_TO_PASS = passing both times
    then evaluate.py judges the reference patch on a fresh checkout (must be resolved), so every kept
    task is known to be solvable the way a batch will judge it (FAIL_TO_PASS already fail without it).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from smallcoder.session.batch_repo import apply_patch, checkout
from smallcoder.session.batch_tasks import BatchTask
from smallcoder.session.batch_testlog import TestOutcome, run_tests
from smallcoder.session.evaluate import RESOLVED, evaluate

if TYPE_CHECKING:
    from smallcoder.session.mine import Candidate


def agent_test_command(repo: Path, test_files: tuple[str, ...]) -> str:
    """The command the agent runs the suite with: pytest over the test folder(s), `src/` on the path if used."""
    roots = sorted({PurePosixPath(f).parts[0] for f in test_files if len(PurePosixPath(f).parts) > 1})
    where = " ".join(r for r in roots if (repo / r).is_dir())
    prefix = "PYTHONPATH=src " if (repo / "src").is_dir() else ""
    return f"{prefix}python -m pytest -q -p no:cacheprovider {where}".strip()


def _run(repo: Path, files: list[str], env: dict[str, str], timeout_s: float) -> TestOutcome:
    return run_tests(repo, files, env, timeout=timeout_s)


def verify(root: Path, name: str, cand: Candidate, test_patch: str, patch: str, *,
           env: dict[str, str] | None = None, timeout_s: float = 120.0) -> tuple[BatchTask | None, str]:
    """(task, "kept") when the candidate is a real, solvable bug; else (None, why not).

    `env`: variables for the test runs, kept with the task (e.g. PYTHONPATH, PYTEST_ADDOPTS)."""
    env = dict(env or {})
    if not patch.strip() or not test_patch.strip():
        return None, "no code change or no test change"
    work = Path(tempfile.mkdtemp(prefix="smallcoder-mine-"))
    try:
        repo = work / "repo"
        checkout(str(root), cand.parent, repo, work / "cache")
        if apply_patch(repo, test_patch):
            return None, "test patch does not apply to the parent"
        files = [f for f in cand.test_files if (repo / f).is_file()]
        if not files:
            return None, "the commit only deletes tests"
        before = _run(repo, files, env, timeout_s)
        if before.setup_failed or before.timed_out:
            return None, "the tests cannot run at the parent here (environment)"
        if apply_patch(repo, patch):
            return None, "the fix does not apply after the test patch"
        after = _run(repo, files, env, timeout_s)
        fail_to_pass = sorted(t for t in after.statuses if after.passed(t) and not before.passed(t))
        pass_to_pass = sorted(t for t in after.statuses if after.passed(t) and before.passed(t))
        if not fail_to_pass:
            return None, "no test goes from failing to passing"
        task = BatchTask(
            instance_id=f"{name}-{cand.commit[:10]}", repo=str(root), base_commit=cand.parent,
            problem_statement=cand.message, test_patch=test_patch, fail_to_pass=tuple(fail_to_pass),
            pass_to_pass=tuple(pass_to_pass), test_cmd=agent_test_command(repo, cand.test_files), env=env,
            extra={"patch": patch, "commit": cand.commit, "created_at": cand.date,
                   "source_files": list(cand.source_files), "test_files": list(cand.test_files)},
        )
        gold = evaluate(task, patch, work / "eval", work / "cache", timeout=timeout_s)
        if gold.verdict != RESOLVED:
            return None, f"the reference fix does not pass on a fresh checkout ({gold.verdict}: {gold.reason})"
        return task, "kept"
    finally:
        shutil.rmtree(work, ignore_errors=True)
