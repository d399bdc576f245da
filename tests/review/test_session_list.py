"""review_change in the list mode (the default, for small models) on a real git change with the
scripted backend: one call without tools, the lenient read, one retry on an unreadable reply, the
checks, the yes/no verification, and the review recorded in a real run store."""

import json

import pytest

from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.errors import BackendError, ConfigError
from smallcoder.session.review import ReviewOptions, git_diff, new_side_reader, review_change
from smallcoder.store import RunStore
from smallcoder.store.timing import time_split
from smallcoder.types import Completion

from .scripts import LIST, SCENARIO


def run(repo, outputs, observers=(), **options):
    backend = ScriptedBackend(outputs=outputs, context_window=8192)
    result = review_change(backend, repo, git_diff(repo, ref="HEAD~1"), new_side_reader(repo),
                           ReviewOptions(**options), observers=observers, task="review --diff HEAD~1")
    return result, backend


def test_a_listed_defect_is_checked_verified_and_kept(repo):
    result, backend = run(repo, [LIST, "yes, count is 0 for an empty list"])
    (f,) = result.findings
    assert (f.path, f.start_line, f.severity, f.category, f.scenario) == ("stats.py", 15, "high", "bug", SCENARIO)
    assert (result.model_calls, result.unparsable, result.dropped) == (2, 0, [])
    (ask,) = backend.requests[0]  # one user message, no system prompt with tools
    assert ask.role == "user" and "JSON array" in ask.content and "report_finding" not in ask.content
    assert "   15 +     return total(values) / count" in ask.content  # new-side numbers, + on added lines
    assert "      -         return 0.0" in ask.content  # the removed lines, to compare with
    # the yes/no question continues the conversation: the change is already in the model's KV cache
    verify = backend.requests[1]
    assert [m.role for m in verify] == ["user", "assistant", "user"] and verify[:2] == [ask, verify[1]]
    assert verify[1].content == LIST and "Check the claim" in verify[2].content and SCENARIO in verify[2].content
    assert "line 15 of `stats.py` (`return total(values) / count`)" in verify[2].content


def test_each_finding_gets_its_own_question(repo):
    listed = json.dumps([
        {"file": "stats.py", "line": 14, "code": "count = len(values)", "failure": "mean([]) returns nothing useful"},
        {"file": "stats.py", "line": 15, "code": "return total(values) / count", "failure": SCENARIO},
    ])
    result, backend = run(repo, [listed, "No, len() of a list never fails.", "Yes: count is 0."])
    assert [f.start_line for f in result.findings] == [15] and result.model_calls == 3
    assert [d.reason for d in result.dropped] == ["not confirmed on a second look: No, len() of a list never fails."]
    assert "line 14" in backend.requests[1][-1].content and "line 15" in backend.requests[2][-1].content
    assert backend.requests[1][:2] == backend.requests[2][:2]  # the same prefix for both


def test_an_empty_list_ends_the_review_with_one_call(repo):
    result, _ = run(repo, ["```json\n[]\n```"])
    assert (result.findings, result.model_calls, result.unparsable) == ([], 1, 0)


def test_an_unreadable_reply_is_asked_for_again_once(repo):
    result, backend = run(repo, ["The division on line 15 looks risky to me.", LIST, "yes"])
    assert [f.start_line for f in result.findings] == [15] and result.unparsable == 0
    again = backend.requests[1]
    assert [m.role for m in again] == ["user", "assistant", "user"] and "could not be read" in again[2].content


def test_two_unreadable_replies_count_as_unparsable(repo):
    result, _ = run(repo, ["Line 15 is risky.", "Still risky."])
    assert (result.findings, result.unparsable, result.model_calls) == ([], 1, 2)


def test_findings_the_checks_refuse_are_dropped_with_the_reason(repo):
    listed = json.dumps([
        {"file": "stats.py", "line": 6, "code": "result = 0", "failure": "total([]) returns 0 which is wrong"},
        {"file": "stats.py", "line": 15, "code": "return total(values) / count", "failure": "consider a guard"},
        {"file": "stats.py", "line": 14, "code": "return sum(values) / n", "failure": "mean([]) raises an error"},
        {"file": "other.py", "line": 4, "failure": "name() returns the wrong value"},
        {"file": "stats.py", "line": 3, "code": "return total(values) / count", "failure": SCENARIO},
    ])
    result, _ = run(repo, [listed], verify=False)
    assert [(f.start_line, f.scenario) for f in result.findings] == [(15, SCENARIO)]  # moved to its quote
    assert sorted(d.reason for d in result.dropped) == [
        "lines 6-6 were not changed", "other.py is not part of the change",
        "quotes code that is not in the file", "states no concrete failure scenario"]


def test_the_verification_pass_drops_what_the_model_does_not_confirm(repo):
    result, _ = run(repo, [LIST, "No - the caller never passes an empty list."])
    assert result.findings == []
    assert result.dropped[0].reason.startswith("not confirmed on a second look: No")


def test_the_review_is_one_recorded_run(repo, tmp_path):
    with RunStore(tmp_path / "runs.sqlite3") as store:
        result, _ = run(repo, [LIST, "yes"], observers=[store])
        (listed,) = store.list_runs()
        record = store.get_run(result.run_id)
    assert (listed["id"], listed["status"], listed["task"]) == (result.run_id, "reviewed", "review --diff HEAD~1")
    assert listed["model_calls"] == 2 and listed["steps"] == 2 and listed["reason"] == result.summary
    assert [c["step"] for c in record["model_calls"]] == [1, 2]
    assert record["model_calls"][0]["text"] == LIST
    extra = record["run"]["extra"]
    assert extra["kind"] == "review" and extra["mode"] == "list" and extra["unparsable"] == 0
    assert [f["start_line"] for f in extra["findings"]] == [15] and "count = len(values)" in record["run"]["diff"]


def test_a_model_failure_is_recorded_as_an_error_and_raised(repo, tmp_path):
    with RunStore(tmp_path / "runs.sqlite3") as store:
        with pytest.raises(BackendError):
            run(repo, [LIST], observers=[store])  # the verification call finds no output left
        (listed,) = store.list_runs()
    assert listed["status"] == "error" and "no output left" in listed["reason"] and listed["model_calls"] == 1


def test_an_unknown_mode_is_refused(repo):
    with pytest.raises(ConfigError, match="unknown review mode 'oracle'"):
        run(repo, [], mode="oracle")


def test_groups_with_old_and_new_results_become_findings_only_when_they_differ(repo):
    listed = "```json\n" + json.dumps([
        {"file": "stats.py", "line": 14, "code": "count = len(values)", "input": "[1, 2]", "old": "2", "new": "2"},
        {"file": "stats.py", "line": 15, "code": "return total(values) / count", "input": "mean([])",
         "old": "0.0", "new": "raises ZeroDivisionError", "confidence": 0.8},
    ]) + "\n```"
    result, backend = run(repo, [listed, "yes"])
    (f,) = result.findings
    assert (f.start_line, f.scenario) == (15, "with mean([]), the new code gives raises ZeroDivisionError instead of 0.0")
    assert result.dropped == [] and result.model_calls == 2  # the equal group is no finding and costs no question
    assert "old code" in backend.requests[0][0].content and '"input"' in backend.requests[0][0].content


def test_a_finding_that_quotes_the_line_its_added_line_replaced_is_kept(repo):
    # Qwen2.5-Coder-1.5B named the right `+` line and copied the `-` line above it as the code
    listed = json.dumps([{"file": "stats.py", "line": 15, "code": "-    return total(values) / len(values)",
                          "failure": SCENARIO}])
    result, _ = run(repo, [listed], verify=False)
    assert [(f.start_line, f.scenario) for f in result.findings] == [(15, SCENARIO)] and result.dropped == []
    elsewhere = json.dumps([{"file": "stats.py", "line": 3, "code": "-    return total(values) / len(values)",
                             "failure": SCENARIO}])  # a removed line is no quote for an unchanged one
    result, _ = run(repo, [elsewhere], verify=False)
    assert [d.reason for d in result.dropped] == ["quotes code that is not in the file"]


def test_the_list_steps_model_time_is_model_time_in_the_runs_time_split(repo, tmp_path):
    replies = [Completion(LIST, latency_s=3.0, prompt_s=2.0, generation_s=1.0),
               Completion("yes", latency_s=0.5, prompt_s=0.25, generation_s=0.25)]
    with RunStore(tmp_path / "runs.sqlite3") as store:
        result, _ = run(repo, replies, observers=[store])
        split = time_split(store.get_run(result.run_id))
    assert [s["step"] for s in split["steps"]] == [1, 2]  # as `smallcoder runs show` splits it
    assert (split["total"]["prompt_s"], split["total"]["generation_s"]) == (2.25, 1.25)
