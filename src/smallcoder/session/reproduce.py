"""Reproduce first: before the fix, an agent phase writes a test that shows the reported problem failing.

    tests (baseline) ─► agent writes a test ─► judged here: a test file changed, nothing else, and the
    suite now fails in it ─► the fix phase starts from that failing run

The phase is judged by the worktree, not by the model's word. Edits outside test files are undone
(fixing is the next phase's job); a test that passes, does not run, or fails only where the suite
already failed, is removed, and the run says it could not reproduce rather than pretending.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath

from smallcoder.agent.context import ContextFile, gather_context
from smallcoder.agent.events import Reproduction, TestRun
from smallcoder.agent.loop import Agent
from smallcoder.agent.policy import TEST_TAIL_CHARS, FixPolicy
from smallcoder.agent.prompts import render
from smallcoder.errors import Submitted
from smallcoder.repomap.files import list_files as repo_files
from smallcoder.repomap.testpaths import CACHE_PARTS, is_test_path
from smallcoder.tools import Tool
from smallcoder.types import ToolCall
from smallcoder.workspace.git import git

MAX_STEPS = 6
FAILS = "the new test fails"
CONTEXT_CHARS = 12_000
# Output that means the new test did not even run: it cannot show the bug.
BROKEN_TEST = re.compile(r"error(?:s)? during collection|ERROR collecting|Failed to import test module|"
                         r"^\s*SyntaxError|IndentationError|no tests ran|NO TESTS RAN", re.MULTILINE)


def suggest_test_path(root: Path, name: str) -> str | None:
    """Where a new Python test goes: beside the existing tests (tests/ first), else at the top."""
    files = repo_files(root)
    if not any(f.endswith(".py") for f in files):
        return None  # other languages: the model follows the project's own layout
    tests = [f for f in files if f.endswith(".py") and is_test_path(f) and not f.endswith("__init__.py")]
    dirs = sorted({str(PurePosixPath(f).parent) for f in tests}, key=lambda d: (d.count("/"), d))
    preferred = [d for d in dirs if PurePosixPath(d).name in ("tests", "test")]
    folder = (preferred or dirs or ["."])[0]
    filename = f"test_{re.sub(r'[^A-Za-z0-9_]', '_', name) or 'reproduction'}.py"
    return filename if folder == "." else f"{folder}/{filename}"


class ReproducePolicy(FixPolicy):
    """The fix policy with the goal turned around: done when an edit makes a test fail, not pass."""

    def finish(self, agent: Agent, call: ToolCall) -> str:
        # the phase is judged by the worktree afterwards; the summary is the model's note
        raise Submitted(str(call.arguments.get("summary", "")))

    def after_tool(self, agent: Agent, tool: Tool, call: ToolCall, observation: str) -> tuple[str, bool]:
        observation, _ = super().after_tool(agent, tool, call, observation)
        test = agent.last_test
        if tool.edits and is_test_path(str(call.arguments.get("path", ""))) and test and not test.passed:
            if BROKEN_TEST.search(test.output):
                return observation + "\n\n" + render("reproduce_broken"), False
            raise Submitted(FAILS)
        return observation, False


def reproduce_first(agent: Agent, task: str, baseline: TestRun | None,
                    name: str = "reproduction", max_steps: int = MAX_STEPS) -> tuple[Reproduction, TestRun | None, str]:
    """Run the reproduce phase in `agent`'s worktree. Returns the record, the test run the fix phase
    starts from (the failing one when reproduced), and the task for the fix phase."""
    root, test_command = agent.ctx.root, agent.ctx.test_command
    if not test_command:
        return Reproduction("skipped", "no test command, so nothing can show the problem failing"), baseline, task
    config = replace(agent.config, max_steps=max_steps, stop_when_tests_pass=False)
    policy = agent.policy if isinstance(agent.policy, FixPolicy) else FixPolicy()
    phase = Agent(agent.backend, list(agent.tools.values()), agent.ctx, config, agent.run_id, agent.observers,
                  ReproducePolicy(reset=policy.reset))
    phase.deadline = agent.deadline  # one time limit for the run
    test_path = suggest_test_path(root, name)
    files = _context(root, task, baseline)
    prompt = render("reproduce_task", task=task, test_command=test_command, baseline=baseline,
                    baseline_output=baseline.output[-TEST_TAIL_CHARS:] if baseline else "", files=files,
                    test_path=test_path)
    outcome = phase.run(render("reproduce_system"), prompt, focus_file=test_path)
    # One budget for the run: the fix phase's token limit and totals include this phase.
    agent.model_calls += phase.model_calls
    agent.usage = agent.usage + phase.usage
    fresh = outcome.status == "submitted" and outcome.reason == FAILS  # last_test is the worktree as it is
    record = _judge(phase, baseline, outcome.reason, fresh)
    record.steps, record.model_calls = phase.steps, phase.model_calls
    if not record.reproduced:
        return record, baseline, task
    agent.last_test = record.tests_failing  # the fix phase's "before": without it a no-op fix would look verified
    policy.reset = _keeping(policy.reset, root, record.test_files)
    fix_task = task.rstrip() + "\n\n" + render("reproduce_note", files=record.test_files)
    return record, record.tests_failing, fix_task


def _keeping(reset: Callable[[], None] | None, root: Path, files: list[str]) -> Callable[[], None] | None:
    """The fix phase's fresh attempts go back to the base plus the reproducing test, not to the bare base."""
    if reset is None:
        return None
    saved = {path: (root / path).read_bytes() for path in files if (root / path).is_file()}

    def reset_keeping_test() -> None:
        reset()
        for path, data in saved.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(data)

    return reset_keeping_test


def reproduction_extra(record: Reproduction | None) -> dict[str, object]:
    """What the run store keeps of the phase (RunFinished.extra)."""
    if record is None:
        return {}
    failing = record.tests_failing
    return {"reproduction": {"status": record.status, "reason": record.reason, "test_files": record.test_files,
                             "failed_before_fix": None if failing is None else not failing.passed,
                             "steps": record.steps, "model_calls": record.model_calls}}


_LIMIT = re.compile(r"(?:time|step|token) limit of ")  # agent/loop.py's limit reasons


def _judge(phase: Agent, baseline: TestRun | None, note: str, fresh: bool) -> Reproduction:
    root = phase.ctx.root
    changed = _changed(root)
    tests = [p for p, _ in changed if is_test_path(p)]
    others = [(p, status) for p, status in changed if not is_test_path(p)]
    _restore(root, others)
    if not tests:
        said = "the phase ended" if _LIMIT.match(note or "") else "the model said"  # a limit is no answer
        why = "no test was written" + (f" ({said}: {note})" if note and note != FAILS else "")
        return Reproduction("not_reproduced", why, tests_baseline=baseline)
    # Run the tests again unless the last run saw exactly this worktree (the model may also have
    # changed files through run_command, which runs no tests).
    failing = phase.last_test if fresh and not others else None
    if failing is None:
        failing = phase.run_tests("reproduce")
    problem = _why_not(failing, baseline, tests)
    if problem:
        _restore(root, [(p, s) for p, s in changed if is_test_path(p)])
        return Reproduction("not_reproduced", problem, test_files=tests, tests_baseline=baseline,
                            tests_failing=failing)
    return Reproduction("reproduced", "the new test fails before the fix", test_files=tests,
                        tests_baseline=baseline, tests_failing=failing)


def _why_not(run: TestRun, baseline: TestRun | None, tests: list[str]) -> str:
    if run.passed:
        return "the test written for it passes on the current code, so it does not show the problem"
    if run.timed_out:
        return "the tests timed out with the new test"
    if BROKEN_TEST.search(run.output):
        return "the test written for it does not run (it fails to import or collect)"
    if baseline is not None and not baseline.passed:
        stems = {PurePosixPath(t).stem for t in tests}
        if not any(stem in run.output for stem in stems):
            return "the suite already failed before, and the new test is not among the failures"
    return ""


def _changed(root: Path) -> list[tuple[str, str]]:
    """(path, porcelain status) of everything changed in the worktree since its base, caches left out."""
    out = git(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"], root).stdout
    entries = []
    for item in out.decode("utf-8", "surrogateescape").split("\0"):
        if len(item) > 3 and not CACHE_PARTS & set(PurePosixPath(item[3:]).parts):
            entries.append((item[3:], item[:2]))
    return entries


def _restore(root: Path, entries: list[tuple[str, str]]) -> None:
    """Put paths back as they were at the worktree's base: new files go, changed ones are checked out."""
    tracked = [p for p, status in entries if status != "??"]
    for path, status in entries:
        if status == "??":
            (root / path).unlink(missing_ok=True)
    if tracked:
        git(["checkout", "-q", "HEAD", "--", *tracked], root)


def _context(root: Path, task: str, baseline: TestRun | None) -> list[ContextFile]:
    """What the task is about, plus one existing test to copy the style of (imports, framework)."""
    files = gather_context(root, task, baseline.output if baseline else "", char_budget=CONTEXT_CHARS)
    if any(is_test_path(f.path) for f in files):
        return files
    shown = {PurePosixPath(f.path).stem for f in files}
    tests = [f for f in repo_files(root) if is_test_path(f) and (root / f).is_file()]
    # A test named after a file already shown (test_stats.py for stats.py) is the best example.
    tests.sort(key=lambda f: (not any(s in PurePosixPath(f).stem for s in shown), (root / f).stat().st_size))
    used = sum(len(f.text) for f in files)
    for path in tests[:1]:
        text = (root / path).read_text(encoding="utf-8", errors="replace").rstrip("\n")
        if used + len(text) <= CONTEXT_CHARS + 4_000:
            files.append(ContextFile(path, text, 1, text.count("\n") + 1))
    return files
