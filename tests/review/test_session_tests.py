"""review_change running the project's own tests on both versions of a real git change, in the real
sandbox: a test that passed before and fails after is a finding on the changed lines it ran; a test
that fails on both sides, or a change that keeps every test passing, gives none."""

import json

import pytest

from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.sandbox import choose_isolation
from smallcoder.sandbox.bwrap import probe
from smallcoder.session.review import ReviewOptions, git_diff, new_side_reader, review_change

from .conftest import STATS_V2, git, two_commits

pytestmark = pytest.mark.skipif(not probe().usable, reason=f"bubblewrap is not usable here: {probe().reason}")

TESTS = '''from stats import mean, total


def test_total():
    assert total([1, 2]) == 3


def test_mean_of_nothing_is_zero():
    assert mean([]) == 0.0


def test_mean():
    assert mean([2, 4]) == 3
'''
REFACTOR = STATS_V2.replace("    count = len(values)\n", "    count = len(values)\n    if not count:\n        return 0.0\n")


def review(repo, **options):
    backend = ScriptedBackend(outputs=["```json\n[]\n```"], context_window=8192)
    return review_change(backend, repo, git_diff(repo, ref="HEAD~1"), new_side_reader(repo),
                         ReviewOptions(**options), task="review --diff HEAD~1", base="HEAD~1",
                         isolation=choose_isolation())


def test_a_test_the_change_breaks_is_a_finding_on_the_changed_line_it_ran_last(tmp_path):
    repo = two_commits(tmp_path / "p", STATS_V2, {"test_stats.py": TESTS}, "mean: simpler")
    before = git(repo, "status", "--porcelain")
    result = review(repo)
    (f,) = result.findings
    assert (f.path, f.start_line, f.end_line) == ("stats.py", 14, 15)  # the two added lines, together
    assert f.title == "breaks `test_mean_of_nothing_is_zero`" and f.category == "bug" and f.severity == "high"
    assert f.scenario.startswith("`test_stats.py::test_mean_of_nothing_is_zero` passes before this change and "
                                 "fails after it: ZeroDivisionError")
    assert f.quote == "count = len(values)"
    assert result.tests == "3 tests ran, 1 broken by the change"
    assert "tests: 3 tests ran, 1 broken by the change" in result.summary
    assert git(repo, "status", "--porcelain") == before  # nothing written into the user's checkout


def test_a_change_that_keeps_the_tests_passing_gives_no_finding(tmp_path):
    repo = two_commits(tmp_path / "p", REFACTOR, {"test_stats.py": TESTS}, "mean: count once")
    result = review(repo)
    assert result.findings == [] and result.tests == "3 tests ran, none broken"


def test_a_test_failing_before_the_change_too_is_not_the_changes_fault(tmp_path):
    failing = TESTS + "\n\ndef test_already_broken():\n    assert mean([1]) == 2\n"
    repo = two_commits(tmp_path / "p", REFACTOR, {"test_stats.py": failing}, "mean: count once")
    result = review(repo)
    assert result.findings == [] and result.tests == "4 tests ran, none broken by the change (1 failing before it too)"


def test_a_change_that_stops_the_tests_importing_is_a_finding(tmp_path):
    broken = STATS_V2.replace("def total(values):", "def sum_of(values):").replace("return total(", "return sum_of(")
    repo = two_commits(tmp_path / "p", broken, {"test_stats.py": TESTS}, "rename total")
    (f,) = review(repo).findings
    assert f.path == "stats.py" and "fails at collect" in f.scenario and "ImportError" in f.scenario


def test_the_tests_can_be_turned_off(tmp_path):
    repo = two_commits(tmp_path / "p", STATS_V2, {"test_stats.py": TESTS}, "mean: simpler")
    result = review(repo, run_tests=False)
    assert result.findings == [] and result.tests == ""


def test_the_run_record_keeps_the_tests_line(tmp_path):
    repo = two_commits(tmp_path / "p", STATS_V2, {"test_stats.py": TESTS}, "mean: simpler")
    result = review(repo)
    assert json.loads(json.dumps(result.record()))["tests"] == "3 tests ran, 1 broken by the change"


def test_a_model_call_that_misses_the_line_is_asked_again_with_a_test_that_runs_it(tmp_path):
    # The refactoring keeps the tests passing; the model's call never reaches the changed line.
    repo = two_commits(tmp_path / "p", REFACTOR, {"test_stats.py": TESTS}, "mean: count once")
    listed = [{"file": "stats.py", "line": 15, "code": "if not count:", "input": "total([1])", "old": "1",
               "new": "an error", "confidence": 0.6}]
    backend = ScriptedBackend(outputs=["```json\n" + json.dumps(listed) + "\n```", "```python\nmean([2, 4])\n```"],
                              context_window=8192)
    result = review_change(backend, repo, git_diff(repo, ref="HEAD~1"), new_side_reader(repo),
                           ReviewOptions(verify=False, check_retries=1), task="review", base="HEAD~1",
                           isolation=choose_isolation())
    ask = backend.requests[1][-1].content
    # the shortest of the passing tests that ran line 15
    assert "This test of the project runs line 15:\n```python\ndef test_mean():\n    assert mean([2, 4]) == 3\n```" in ask
    assert result.findings == [] and result.checks_run == 1  # the new call ran the line: same result, dropped
