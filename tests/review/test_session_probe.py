"""review_change running the findings' calls on both versions of a real git change, in the real
sandbox (bubblewrap): a call whose result changed is shown with the observed results, one whose result
did not is dropped, one that cannot run goes to the yes/no question; the user's checkout is untouched."""

import json

import pytest

from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.sandbox import choose_isolation
from smallcoder.sandbox.bwrap import probe
from smallcoder.session.review import ReviewOptions, git_diff, new_side_reader, review_change

from .conftest import git

pytestmark = pytest.mark.skipif(not probe().usable, reason=f"bubblewrap is not usable here: {probe().reason}")


def item(line, code, call, old="0.0", new="an error"):
    return {"file": "stats.py", "line": line, "code": code, "input": call, "old": old, "new": new,
            "confidence": 0.6}


def review(repo, listed, *replies, base="HEAD~1", **options):
    backend = ScriptedBackend(outputs=["```json\n" + json.dumps(listed) + "\n```", *replies], context_window=8192)
    result = review_change(backend, repo, git_diff(repo, ref="HEAD~1"), new_side_reader(repo),
                           ReviewOptions(**options), task="review --diff HEAD~1", base=base,
                           isolation=choose_isolation())
    return result, backend


def test_a_call_whose_result_changed_is_shown_with_what_was_observed(repo):
    before = git(repo, "status", "--porcelain") + git(repo, "worktree", "list")
    result, backend = review(repo, [item(15, "return total(values) / count", "mean([])")])
    (f,) = result.findings
    assert f.start_line == 15 and f.check == "mean([])" and f.confidence == 0.8
    assert f.scenario == ("`mean([])` returns 0.0 before this change and raises ZeroDivisionError: division by zero "
                          "after it (both run by smallcoder)")
    assert result.model_calls == 1 and result.checks_run == 1  # evidence, not a yes/no question
    assert git(repo, "status", "--porcelain") + git(repo, "worktree", "list") == before


def test_a_call_with_the_same_result_on_both_sides_drops_the_finding(repo):
    result, _ = review(repo, [item(14, "count = len(values)", "mean([2, 4])", old="3", new="None")])
    assert result.findings == [] and result.checks_run == 1
    (d,) = result.dropped
    assert d.reason == "not confirmed by running it: `mean([2, 4])` returns 3.0 before and after the change"


def test_a_call_that_cannot_run_is_asked_for_again_with_its_error(repo):
    result, backend = review(repo, [item(15, "return total(values) / count", "mean(values)")],
                             "Here it is:\n```python\nvalues = []\nmean(values)\n```")
    (f,) = result.findings
    assert f.check == "values = []\nmean(values)" and f.scenario.startswith("`values = [] mean(values)` returns 0.0")
    again = backend.requests[1]
    assert [m.role for m in again] == ["user", "assistant", "user"]  # continues the list step's conversation
    assert "`mean(values)`, does not test that line: NameError: name 'values' is not defined" in again[2].content
    assert result.model_calls == 2 and result.checks_run == 1


def test_a_call_that_still_cannot_run_is_left_to_the_question(repo):
    result, backend = review(repo, [item(15, "return total(values) / count", "self.mean([])")],
                             "```python\nself.mean([])\n```", "self.mean()", "yes")
    assert [f.start_line for f in result.findings] == [15] and result.checks_run == 0
    assert result.model_calls == 4 and "Check the claim" in backend.requests[3][-1].content
    result, backend = review(repo, [item(15, "return total(values) / count", "an empty list")], "yes",
                             check_retries=0)
    assert result.model_calls == 2 and "Check the claim" in backend.requests[1][-1].content


def test_a_call_that_never_runs_the_changed_line_is_no_evidence(repo):
    # total() is not the changed code: the same result on both sides says nothing about line 15
    result, backend = review(repo, [item(15, "return total(values) / count", "total([])")],
                             "```python\nmean([])\n```")
    (f,) = result.findings
    assert f.check == "mean([])" and f.scenario.startswith("`mean([])` returns 0.0 before")
    asked = backend.requests[1][-1].content
    assert "`total([])`, does not test that line: it returns 0 without running line 15 of stats.py; the last " \
           "line of it that ran was 9: `return result`; line 15 is in `mean`" in asked


def test_without_a_base_or_with_checks_off_nothing_runs(repo):
    for kwargs in ({"base": None}, {"run_checks": False}):
        result, _ = review(repo, [item(15, "return total(values) / count", "mean([])")], "no", **kwargs)
        assert result.findings == [] and result.checks_run == 0, kwargs


def test_a_change_that_does_not_apply_to_the_base_says_why(repo):
    result, _ = review(repo, [item(15, "return total(values) / count", "mean([])")], "yes", base="HEAD")
    # (no second ask for the call: nothing can run, whatever the call)
    assert result.checks_run == 0 and "does not apply to HEAD" in result.checks_problem
    assert [f.start_line for f in result.findings] == [15]  # left to the question, which said yes
