"""`fix --tries`: start over while no try verifies a fix, keep the try with the strongest evidence."""

from smallcoder.agent.events import FreshAttempt
from smallcoder.agent.loop import AgentConfig
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.store.runs import RunStore

from .conftest import git
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
