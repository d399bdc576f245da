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
    assert "are a group too" not in backend.requests[0][0].content  # no pure removal in this change
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


# --- Faults a new user found (each stands for a class): what may never count as evidence, and setups
# --- that must not turn the checks off. The Prober is driven directly: one finding, one call.

def check(repo, call, line=15, base="HEAD~1", diff=None, **kw):
    from smallcoder.review.findings import Finding
    from smallcoder.session.review_probe import Prober
    finding = Finding("stats.py", line, line, "high", "bug", "t", "s", check=call)
    with Prober(repo, base, diff if diff is not None else git_diff(repo, ref=base), isolation=choose_isolation(),
                **kw) as prober:
        return prober.check(finding), prober


@pytest.mark.parametrize("call", ["mean([1, 2]), __import__('random').random()",
                                  "mean([1, 2]), __import__('time').time()",
                                  "mean([1]), id(object())"])
def test_a_result_that_changes_from_run_to_run_proves_nothing(repo, call):
    verdict, _ = check(repo, call)
    assert verdict.result == "unrunnable" and "different result each time" in verdict.why


@pytest.mark.parametrize("call", ["mean([1]); [].index(object())", "print(object()); mean([1])"])
def test_object_addresses_in_errors_and_output_are_no_difference(repo, call):
    assert check(repo, call)[0].result == "same"


def test_an_early_return_above_the_line_is_not_the_line(repo):
    # mean() (old) returns at its guard; the new line 15 is `return total(values) / count`: total([]) is
    # not mean's body, and a guard that returns before the line must not count as running it
    (repo / "stats.py").write_text((repo / "stats.py").read_text().replace(
        "    count = len(values)\n", "    if values is None:\n        return -1\n    count = len(values)\n"))
    git(repo, "commit", "-qam", "guard")
    verdict, _ = check(repo, "mean(None)", line=17)
    assert verdict.result == "unreached", verdict


def test_untracked_files_the_code_imports_are_in_both_copies(repo):
    (repo / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    (repo / "stats.py").write_text("from helpers import double\n" + (repo / "stats.py").read_text())
    verdict, _ = check(repo, "mean([2, 4])", line=1, base="HEAD", untracked=True)
    assert verdict.result == "same", verdict


def test_a_binary_file_in_the_diff_leaves_the_checks_on(repo):
    (repo / "logo.png").write_bytes(bytes(range(256)))
    git(repo, "add", "logo.png")
    git(repo, "commit", "-qm", "logo")
    verdict, prober = check(repo, "mean([])", line=15, base="HEAD~2")
    assert prober.problem in ("", "closed") and verdict.result == "differs", (verdict, prober.problem)


def test_the_users_diff_prefix_settings_change_nothing(repo):
    git(repo, "config", "diff.mnemonicPrefix", "true")
    git(repo, "config", "diff.noprefix", "true")
    result, _ = review(repo, [item(15, "return total(values) / count", "mean([])")])
    assert [f.start_line for f in result.findings] == [15] and result.checks_run == 1


def test_huge_results_and_stray_threads_still_give_an_answer(repo):
    verdict, _ = check(repo, "mean([1]), 'x' * 100000")
    assert verdict.result == "same" and "more characters]" in verdict.new.value
    verdict, _ = check(repo, "import threading, time; threading.Thread(target=time.sleep, args=(30,)).start(); "
                             "mean([])", base="HEAD~1")
    assert verdict.result == "differs" and "ZeroDivisionError" in verdict.new.raised


def test_calls_cannot_change_the_copies_for_the_next_call(repo):
    verdict, _ = check(repo, "open('stats.py', 'w').write('x = 1'); mean([])")
    assert verdict.result == "unreached" and "OSError" in (verdict.new.raised or "")  # read-only, both sides


def test_a_change_that_breaks_the_import_is_a_difference(repo):
    (repo / "stats.py").write_text((repo / "stats.py").read_text() + "\ndef broken(:\n")
    verdict, _ = check(repo, "mean([2])", line=15, base="HEAD", untracked=False)
    assert verdict.result == "differs" and verdict.new.raised.startswith("ImportError")


def test_scratch_copies_of_a_killed_review_are_removed_by_the_next(repo, tmp_path):
    import tempfile
    from pathlib import Path
    leftover = Path(tempfile.gettempdir()) / "smallcoder-review-999999999-abc"
    (leftover / "old").mkdir(parents=True, exist_ok=True)
    check(repo, "mean([])")
    assert not leftover.exists()


def test_from_a_subdirectory_and_with_nothing_runnable_the_summary_says_so(repo, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from .scripts import write_script
    (repo / "lib").mkdir()
    (repo / "lib" / "x.txt").write_text("x")
    smallcoder = str(Path(sys.executable).parent / "smallcoder")
    model = write_script(tmp_path / "m.json", ["```json\n" + json.dumps([item(15, "return total(values) / count",
                                                                               "mean([])")]) + "\n```"])
    out = subprocess.run([smallcoder, "review", "--diff", "HEAD~1", "--repo", str(repo / "lib"), "--model", model],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1].startswith("stats.py:15: high bug: `mean([])` now raises ZeroDivisionError")
    result, _ = review(repo, [item(15, "return total(values) / count", "mean([])")], "yes", base="no-such-base")
    assert "nothing could be run: cannot run the code: git read-tree no-such-base" in result.summary


def test_a_deleted_guard_is_reviewed_and_checked_by_running_it(repo_deletion):
    listed = [item(13, "if not values:\n    return 0.0", "mean([])", old="0.0", new="ZeroDivisionError")]
    result, backend = review(repo_deletion, listed)
    (f,) = result.findings
    assert f.start_line == 14 and result.checks_run == 1  # the line below the removed guard, run on both sides
    assert "removed with no `+` lines in their place are a group too" in backend.requests[0][0].content
    assert "returns 0.0 before this change and raises ZeroDivisionError" in f.scenario


def test_checks_turned_off_are_not_reported_as_impossible(repo):
    result, _ = review(repo, [item(15, "return total(values) / count", "mean([])")], "yes", run_checks=False)
    assert result.checks_run == 0 and "nothing could be run" not in result.summary


def test_a_deleted_file_is_said_to_be_left_unreviewed(repo):
    git(repo, "rm", "-q", "other.py")
    git(repo, "commit", "-q", "-m", "drop other")
    backend = ScriptedBackend(outputs=["[]"], context_window=8192)
    result = review_change(backend, repo, git_diff(repo, ref="HEAD~1"), new_side_reader(repo), ReviewOptions(),
                           base="HEAD~1", isolation=choose_isolation())
    assert result.files == 0 and result.model_calls == 0
    assert "1 deleted or emptied file not reviewed" in result.summary
