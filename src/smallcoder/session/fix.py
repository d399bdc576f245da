"""The fix-an-issue pipeline: isolate, test, let the agent fix, verify, deliver a branch.

    repo ─► worktree on smallcoder/<id> ─► tests before ─► context ─► agent ─► tests after ─► commit

The user's working tree is never touched here; `apply_result` is the only
way a change reaches it, and only when the user asks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smallcoder.agent.events import Observer, Reproduction, RunFinished, RunResult, RunStarted, TestRun
from smallcoder.agent.first_prompt import build_first_prompt
from smallcoder.agent.loop import Agent, AgentConfig, AgentOutcome
from smallcoder.agent.policy import FixPolicy
from smallcoder.agent.prompts import render
from smallcoder.backends.base import Backend
from smallcoder.paths import Home
from smallcoder.sandbox import SandboxSettings, choose_isolation, open_sandbox
from smallcoder.session.fit import require_minimal_fit
from smallcoder.session.outcome import judge, outcome_record, stop_reason
from smallcoder.session.preflight import prepare_worktree, run_preflight
from smallcoder.session.reproduce import reproduce_first, reproduction_extra
from smallcoder.session.tries import run_tries
from smallcoder.store.ids import new_run_id
from smallcoder.tools import ToolContext, default_tools
from smallcoder.types import CHARS_PER_TOKEN, Usage
from smallcoder.workspace.deletions import find_deletions
from smallcoder.workspace.diff import apply_to_user_tree, worktree_diff
from smallcoder.workspace.environment import EnvironmentRequest
from smallcoder.workspace.find_env import find_environment
from smallcoder.workspace.git import find_repo_root
from smallcoder.workspace.testselect import TestSelection
from smallcoder.workspace.worktree import Worktree, commit_changes, create_worktree, reset_worktree


@dataclass
class FixOptions:
    test_command: str | None = None
    init: bool = False
    agent: AgentConfig = field(default_factory=AgentConfig)
    command_timeout: float = 120.0
    reproduce: bool = False  # first write a test that fails on the problem (session/reproduce.py)
    reproduce_name: str = "reproduction"  # that test's file: test_<name>.py
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)  # isolation of model-written commands
    # The first prompt shows the code the task concerns and a map of the rest; off only to measure what they buy.
    show_code: bool = True
    show_map: bool = True
    show_candidates: bool = True  # the likeliest files (smallcoder.localize) when the task names none
    environment: EnvironmentRequest | None = None  # --python / --env; None: found (workspace/environment.py)
    worktrees_dir: Path | None = None  # where run worktrees go; the session sets home.worktrees
    tries: int = 1  # conversations from the first prompt while none verifies a fix (session/tries.py)


def observation_budget(context_window: int) -> int:
    """Characters one tool result may take: 15% of the window, at most 8,000."""
    return max(1_000, min(8_000, int(context_window * 0.15 * CHARS_PER_TOKEN)))


def run_fix(task: str, repo: Path, backend: Backend, options: FixOptions, observers: list[Observer]) -> RunResult:
    root = find_repo_root(repo, init=options.init)
    require_minimal_fit(backend, task, options.agent.max_reply_tokens)  # fail now, with the size it needs
    isolation = choose_isolation(options.sandbox)  # before the worktree exists: a refusal leaves nothing behind
    envs = find_environment(root, options.environment)  # a broken environment stops here, leaving nothing
    run_id = new_run_id()
    wt = create_worktree(root, run_id, options.worktrees_dir or Home.from_env().worktrees)
    prep = prepare_worktree(envs, root, wt.path, options.test_command)  # submodules, node_modules, test command
    test_command = prep.test_command
    started = time.perf_counter()

    def emit(event: object) -> None:
        if isinstance(event, RunFinished):  # which model server served the run; whether code left the machine
            event.extra = {**backend.run_record, **outcome_record(event.result), **event.extra}
        for observer in observers:
            observer(event)  # type: ignore[arg-type]

    emit(RunStarted(run_id, task, str(root), str(wt.path), wt.branch, wt.base_commit, backend.name,
                    test_command, backend.context_window, prep.describe()))
    sandbox = open_sandbox(isolation, wt.path, repo=root, run_id=run_id, extra_env=prep.run_env,
                           extra_read_only=prep.read_only)
    # recorded with the run: which isolation its commands had, which environment (and with --tries, each try)
    isolated: dict[str, Any] = {"isolation": sandbox.record(), "environment": prep.record()}
    ctx = ToolContext(root=wt.path, test_command=test_command, command_timeout=options.command_timeout,
                      max_observation_chars=observation_budget(backend.context_window),
                      wrap=sandbox.wrap, env=sandbox.runner_env)
    policy = FixPolicy(reset=lambda: reset_worktree(wt))
    agent = Agent(backend, default_tools(), ctx, options.agent, run_id, observers, policy)
    if options.agent.time_limit_s:  # the whole run counts: the tests before and a reproduce phase too
        agent.deadline = started + options.agent.time_limit_s
    agent.select_tests = TestSelection(test_command, wt.path) if test_command else None  # slow suites: narrowed
    outcome: AgentOutcome | None = None
    tests_before: TestRun | None = None
    reproduction: Reproduction | None = None
    try:
        tests_before = run_preflight(prep, agent.run_tests)  # stops, naming the fix, when the tests cannot run
        if options.reproduce:  # the fix phase then starts from the failing reproduction
            reproduction, tests_before, task = reproduce_first(agent, task, tests_before, options.reproduce_name)
        first = build_first_prompt(wt.path, task, test_command, tests_before, backend.context_window,
                                   show_code=options.show_code, show_map=options.show_map,
                                   offer_code_block=options.agent.code_block_edits,
                                   show_candidates=options.show_candidates)
        policy.tests_failed_before = bool(tests_before and not tests_before.passed)
        policy.code_shown = bool(first.files) and bool(first.focus_file) and str(first.focus_file).endswith(".py")

        def one_try() -> AgentOutcome:
            return agent.run(render("system"), first.text, focus_file=first.focus_file)

        outcome = one_try()
        tried = False  # tries ran: the kept try's suite run is on the state the run ends with
        if options.tries > 1:
            isolated["tries"] = []  # the ended tries' records, also when a later try is cut short
            outcome, isolated["tries"] = run_tries(agent, policy, wt, outcome, options.tries, test_command, one_try,
                                                   cut_short=isolated["tries"])
            tried = bool(isolated["tries"])
    except KeyboardInterrupt:
        outcome = AgentOutcome("cancelled", "interrupted by the user", agent.steps, agent.model_calls,
                               agent.usage, agent.last_test)
        result = _finish(wt, run_id, task, backend, outcome, tests_before, test_command, started, agent, verify=False)
        emit(RunFinished(run_id, result, extra=isolated))
        raise
    except Exception as e:  # our own bug or a backend failure: record it, then let the CLI report it
        outcome = AgentOutcome("error", f"{type(e).__name__}: {e}", agent.steps, agent.model_calls,
                               agent.usage, agent.last_test)
        result = _finish(wt, run_id, task, backend, outcome, tests_before, test_command, started, agent, verify=False)
        emit(RunFinished(run_id, result, extra=isolated))
        raise
    result = _finish(wt, run_id, task, backend, outcome, tests_before, test_command, started, agent, verify=True,
                     reproduction=reproduction, tests_current=tried)
    emit(RunFinished(run_id, result, extra={**reproduction_extra(reproduction), **isolated}))
    return result


def _finish(wt: Worktree, run_id: str, task: str, backend: Backend, outcome: AgentOutcome,
            tests_before: TestRun | None, test_command: str | None, started: float, agent: Agent,
            *, verify: bool, reproduction: Reproduction | None = None, tests_current: bool = False) -> RunResult:
    """Commit what the run left, verify it, and judge it (session/outcome.py). verify=False (an error or a
    cancel) neither runs the tests nor trusts the last step's run as a verdict. tests_current: the outcome's
    last test run is the full suite on the worktree as it stands (the kept try's, session/tries.py), so a
    slow suite is not run twice."""
    diff = worktree_diff(wt)
    tests_after = outcome.last_test if outcome.last_test is not tests_before else None
    # A test run the model's submit triggered is current; after a limit or a stuck end, commands may have
    # changed files since the last run, so the change is tested as it stands.
    current = (outcome.status == "submitted" and tests_after is not None and tests_after.passed
               and tests_after.command == test_command)  # a narrowed run (testselect.py) is no verdict
    current = current or (tests_current and tests_after is not None and tests_after.command == test_command)
    if verify and diff.strip() and test_command and not current:
        tests_after = agent.run_tests("after")
    commit = None
    if diff.strip():
        title = task.strip().splitlines()[0][:60] if task.strip() else "task"
        note = "" if verify else " (interrupted, unverified)"
        commit = commit_changes(wt, f"smallcoder: {title}{note}\n\nRun {run_id} with {backend.name}.")
    stop = stop_reason(outcome.status, outcome.reason)
    verdict = judge(stop, outcome.reason, changed=bool(diff.strip()), test_command=test_command,
                    tests_before=tests_before, tests_after=tests_after if verify else None,
                    reproduction=reproduction)
    return RunResult(
        run_id=run_id, status=verdict.status, reason=verdict.reason, repo=str(wt.repo), worktree=str(wt.path),
        branch=wt.branch, base_commit=wt.base_commit, commit=commit, diff=diff, test_command=test_command,
        tests_before=tests_before, tests_after=tests_after, steps=outcome.steps, model_calls=outcome.model_calls,
        usage=outcome.usage or Usage(), wall_s=time.perf_counter() - started, model=backend.name,
        reproduction=reproduction, stop_reason=stop, stop_message=outcome.reason,
        deletions=find_deletions(wt.path, wt.base_commit, diff, task) if diff.strip() else [],
    )


def apply_result(result: RunResult) -> None:
    """Bring the run's change into the user's working tree (refuses on conflict)."""
    wt = Worktree(repo=Path(result.repo), path=Path(result.worktree), branch=result.branch,
                  base_commit=result.base_commit, user_head="", snapshot=False)
    apply_to_user_tree(wt, result.diff)
