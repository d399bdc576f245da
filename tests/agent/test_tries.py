"""`fix --tries`: start over while no try verifies a fix, keep the try with the strongest evidence."""

from pathlib import Path

import pytest

from smallcoder.agent import events as agent_events
from smallcoder.agent.events import FreshAttempt, RunFinished
from smallcoder.agent.loop import AgentConfig
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.errors import BackendError
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.store.runs import RunStore

from .conftest import git, snapshot
from .scripts import FIX_MEAN, hermes

MEAN = "return sum(values) / (len(values) - 1)"
STILL_WRONG = hermes("replace_in_file", path="stats.py", old=MEAN, new="return sum(values) / (len(values) - 2)")
WORSE = hermes("replace_in_file", path="stats.py", old="return max(values) - min(values)", new="return 0")


def fix(repo, outputs, tries, **agent):
    backend = ScriptedBackend(outputs=list(outputs))
    events = []
    with RunStore() as store:
        result = run_fix("mean() is wrong for [2, 4, 6]", repo, backend,
                         FixOptions(tries=tries, agent=AgentConfig(max_steps=1, **agent)), [store, events.append])
        detail = store.get_run(result.run_id)
    return result, backend, events, detail


def test_a_second_try_from_the_first_prompt_resolves_what_the_first_did_not(example_repo):
    result, backend, events, detail = fix(example_repo, [STILL_WRONG, FIX_MEAN], tries=3)
    assert result.status == "resolved"
    assert "+    return sum(values) / len(values)" in result.diff and "- 2)" not in result.diff
    assert backend.requests[1] == backend.requests[0][:2]  # the same first prompt, nothing of try 1
    assert backend.temperatures == [None, AgentConfig().retry_temperatures[0]]
    fresh = [e for e in events if isinstance(e, FreshAttempt)]
    assert len(fresh) == 1 and fresh[0].reason.startswith("try 2 of 3: try 1 ended (step limit of 1 reached, "
                                                          "1 failing test)")
    tries = detail["run"]["extra"]["tries"]
    assert [(t["try"], t["tests_passed"], t["failing_tests"]) for t in tries] == [(1, False, 1), (2, True, 0)]


def test_when_no_try_verifies_the_one_with_fewest_failing_tests_is_kept(example_repo):
    # try 1 leaves mean() wrong (1 failing test); try 2 also breaks spread() (2 failing): try 1 is delivered
    result, _, _, detail = fix(example_repo, [STILL_WRONG, WORSE], tries=2)
    assert result.status == "unresolved" and "(kept try 1 of 2)" in result.reason
    assert "(len(values) - 2)" in result.diff and "return 0" not in result.diff
    assert "return 0" not in git(example_repo, "show", f"{result.branch}:stats.py")
    assert not result.tests_after.passed
    assert [(t["failing_tests"], t["kept"]) for t in detail["run"]["extra"]["tries"]] == [(1, True), (2, False)]


def test_the_kept_tries_suite_run_is_the_verdict_and_the_suite_is_not_run_again(example_repo):
    result, _, events, _ = fix(example_repo, [STILL_WRONG, WORSE], tries=2)
    phases = [e.phase for e in events if isinstance(e, agent_events.TestsRan)]
    assert phases.count("try") == 2 and "after" not in phases  # a slow suite runs once per try, not once more
    assert result.tests_after is not None and not result.tests_after.passed and "1 failed" in result.tests_after.output


def test_a_spent_time_limit_leaves_no_room_for_another_try(example_repo):
    result, backend, events, _ = fix(example_repo, [STILL_WRONG, FIX_MEAN], tries=3, time_limit_s=0.001)
    assert result.status == "unresolved" and "time limit" in result.reason
    assert backend.requests == [] and not [e for e in events if isinstance(e, FreshAttempt)]


def test_tests_that_passed_before_cannot_tell_tries_apart(example_repo):
    (example_repo / "stats.py").write_text((example_repo / "stats.py").read_text().replace(MEAN, "return sum(values) / len(values)"))
    git(example_repo, "commit", "-qam", "fixed")
    edit = hermes("replace_in_file", path="stats.py", old="return max(values) - min(values)",
                  new="return abs(max(values) - min(values))")
    result, backend, _, _ = fix(example_repo, [edit, FIX_MEAN], tries=3)
    assert len(backend.requests) == 1 and result.status == "unresolved"


BREAKS_IMPORT = hermes("replace_in_file", path="stats.py", old="def spread(values):", new="def spread_(values):")


def test_a_try_that_breaks_the_tests_import_ranks_below_one_with_a_failing_test(example_repo):
    # try 1 renames spread(): the test module no longer imports, one error, but no test ran; try 2 leaves
    # one test failing: that is the stronger evidence, whatever the runner's one error says
    result, _, _, detail = fix(example_repo, [BREAKS_IMPORT, STILL_WRONG], tries=2)
    assert "(kept try 2 of 2)" in result.reason and "(len(values) - 2)" in result.diff
    assert "spread_" not in result.diff
    assert [(t["failing_tests"], t["kept"]) for t in detail["run"]["extra"]["tries"]] == [(None, False), (1, True)]


def test_with_a_reproducing_test_every_try_starts_from_it(example_repo):
    # the reproduce phase writes a failing test; a later try must start from the base plus that test (as the
    # fix phase's fresh attempts do), or the try is judged without it and a fix it still fails looks verified
    repro = hermes("write_file", path="test_reproduction.py", content=(
        "import unittest\n\nfrom stats import mean\n\n\nclass Repro(unittest.TestCase):\n"
        "    def test_three_values(self):\n        self.assertEqual(mean([1, 2, 3]), 2)\n"))
    backend = ScriptedBackend(outputs=[repro, STILL_WRONG, FIX_MEAN])
    with RunStore() as store:
        result = run_fix("mean() is wrong for [2, 4, 6]", example_repo, backend,
                         FixOptions(tries=2, reproduce=True, agent=AgentConfig(max_steps=1)), [store])
    assert result.reproduction.reproduced
    assert result.status == "resolved" and "b/test_reproduction.py" in result.diff
    assert (Path(result.worktree) / "test_reproduction.py").is_file()


class Interrupting(ScriptedBackend):
    """Raises `error` on request number `at` (1-based) instead of answering."""

    def __init__(self, outputs, at, error):
        super().__init__(outputs=list(outputs))
        self.at, self.error = at, error

    def complete(self, messages, tools, **kw):
        if len(self.requests) + 1 == self.at:
            self.requests.append(list(messages))
            raise self.error
        return super().complete(messages, tools, **kw)


@pytest.mark.parametrize("error, status", [(KeyboardInterrupt(), "cancelled"),
                                           (BackendError("server went away"), "error")])
def test_a_try_cut_short_leaves_the_best_ended_try_not_its_half_done_work(example_repo, error, status):
    # try 1 ends with one failing test; try 2 breaks spread() in its first step and is then interrupted
    # (Ctrl-C, or the model server fails): the run delivers try 1's state, not try 2's unfinished one
    backend = Interrupting([STILL_WRONG, hermes("list_files"), WORSE], at=4, error=error)
    finished, user = [], snapshot(example_repo)
    with RunStore() as store, pytest.raises(type(error)):
        run_fix("mean() is wrong for [2, 4, 6]", example_repo, backend,
                FixOptions(tries=2, agent=AgentConfig(max_steps=2)),
                [store, lambda e: finished.append(e) if isinstance(e, RunFinished) else None])
    result = finished[0].result
    assert result.status == status and "(len(values) - 2)" in result.diff and "return 0" not in result.diff
    assert "return 0" not in (Path(result.worktree) / "stats.py").read_text()
    assert "return 0" not in git(example_repo, "show", f"{result.branch}:stats.py")
    assert snapshot(example_repo) == user  # the user's checkout is never touched
    tries = finished[0].extra["tries"]  # the ended try is in the run record, kept
    assert [(t["try"], t["kept"], t["failing_tests"]) for t in tries] == [(1, True, 1)]


def test_a_spent_token_limit_leaves_no_room_for_another_try(example_repo):
    # try 1 ends on its step limit, but its one call used up the run's tokens: the budget is the run's
    result, backend, events, detail = fix(example_repo, [STILL_WRONG, FIX_MEAN], tries=3, max_total_tokens=1)
    assert len(backend.requests) == 1 and not [e for e in events if isinstance(e, FreshAttempt)]
    assert result.status == "unresolved" and "(len(values) - 2)" in result.diff
    assert [t["try"] for t in detail["run"]["extra"]["tries"]] == [1]
