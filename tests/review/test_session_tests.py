"""review_change running the project's own tests on both versions of a real git change, in the real
sandbox: a test that passed before and fails after is a finding on the changed lines it ran; a test
that fails on both sides, or a change that keeps every test passing, gives none."""

import json

import pytest

from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.sandbox import choose_isolation
from smallcoder.sandbox.bwrap import probe
from smallcoder.session.review import (
    ReviewInterrupted,
    ReviewOptions,
    git_diff,
    git_patch,
    new_side_reader,
    review_change,
)
from smallcoder.store import RunStore

from .conftest import STATS_V1, STATS_V2, TESTS, git, two_commits

pytestmark = pytest.mark.skipif(not probe().usable, reason=f"bubblewrap is not usable here: {probe().reason}")

REFACTOR = STATS_V2.replace("    count = len(values)\n", "    count = len(values)\n    if not count:\n        return 0.0\n")


def review(repo, backend=None, observers=(), **options):
    """review_change as `smallcoder review --diff HEAD~1` calls it: the diff to read and its exact patch."""
    backend = backend or ScriptedBackend(outputs=["```json\n[]\n```"], context_window=8192)
    return review_change(backend, repo, git_diff(repo, ref="HEAD~1"), new_side_reader(repo),
                         ReviewOptions(**options), task="review --diff HEAD~1", base="HEAD~1",
                         isolation=choose_isolation(), patch=git_patch(repo, ref="HEAD~1"), observers=observers)


def commit_files(repo, files, message):
    """Write `files` (path → bytes, None deletes) into `repo` and commit them all."""
    repo.mkdir(exist_ok=True)
    for name, data in files.items():
        if data is None:
            (repo / name).unlink()
        else:
            (repo / name).write_bytes(data)
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return repo


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
    assert result.tests == "3 ran, 1 broken by the change"
    assert "tests: 3 ran, 1 broken by the change" in result.summary
    assert git(repo, "status", "--porcelain") == before  # nothing written into the user's checkout


def test_a_change_that_keeps_the_tests_passing_gives_no_finding(tmp_path):
    repo = two_commits(tmp_path / "p", REFACTOR, {"test_stats.py": TESTS}, "mean: count once")
    result = review(repo)
    assert result.findings == [] and result.tests == "3 ran, none broken by the change"


def test_a_test_failing_before_the_change_too_is_not_the_changes_fault(tmp_path):
    failing = TESTS + "\n\ndef test_already_broken():\n    assert mean([1]) == 2\n"
    repo = two_commits(tmp_path / "p", REFACTOR, {"test_stats.py": failing}, "mean: count once")
    result = review(repo)
    assert result.findings == [] and result.tests.startswith(
        "4 ran, none broken by the change (1 failing before it too, e.g. test_stats.py::test_already_broken: assert 1.0 == 2")


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
    assert json.loads(json.dumps(result.record()))["tests"] == "3 ran, 1 broken by the change"


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


def test_staged_reads_the_index_git_names_in_a_commit_a_hook(tmp_path, monkeypatch):
    # `git commit -a` runs the pre-commit hook with GIT_INDEX_FILE pointing at a temporary index.
    repo = two_commits(tmp_path / "p", STATS_V2, {"test_stats.py": TESTS}, "mean: simpler")
    (repo / "stats.py").write_text(REFACTOR)
    index = tmp_path / "commit-a.index"
    env = {"GIT_INDEX_FILE": str(index)}
    import os
    import subprocess
    subprocess.run(["git", "read-tree", "HEAD"], cwd=repo, env={**os.environ, **env}, check=True)
    subprocess.run(["git", "add", "stats.py"], cwd=repo, env={**os.environ, **env}, check=True)
    assert git_diff(repo, staged=True) == ""  # the real index has nothing staged
    monkeypatch.setenv("GIT_INDEX_FILE", str(index))
    assert "+    if not count:" in git_diff(repo, staged=True)
    assert "if not count:" in new_side_reader(repo, staged=True)("stats.py")


def test_a_change_that_makes_the_suite_hang_is_a_finding(tmp_path):
    hangs = STATS_V2.replace("    count = len(values)\n", "    count = len(values)\n    while not count:\n        pass\n")
    repo = two_commits(tmp_path / "p", hangs, {"test_stats.py": TESTS}, "mean: wait")
    result = review(repo, test_timeout=8)
    (f,) = result.findings
    assert f.title == "the test suite no longer finishes" and f.path == "stats.py"
    assert result.tests == "the suite no longer finishes in 8 s"


def test_a_broken_test_with_no_changed_python_line_is_named_in_the_summary(tmp_path):
    repo = tmp_path / "p"
    repo.mkdir()
    (repo / "stats.py").write_text(STATS_V1)
    (repo / "test_stats.py").write_text(TESTS.replace("def test_total():\n    assert total([1, 2]) == 3",
                                                      "def test_total():\n    assert total([1, 2]) == int(open('expected.txt').read())"))
    (repo / "expected.txt").write_text("3\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "stats")
    (repo / "expected.txt").write_text("4\n")
    git(repo, "commit", "-qam", "data")
    result = review(repo)
    assert result.findings == [] and result.tests_unplaced == 1
    assert result.tests.startswith("3 ran, 1 broken by the change: test_stats.py::test_total: AssertionError: assert 3 == 4")


def test_an_ignored_generated_module_is_copied_so_the_package_imports(tmp_path):
    # setuptools-scm writes pkg/_version.py and .gitignore keeps it out of git.
    root = tmp_path / "p"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("from ._version import version\n\n\ndef double(x):\n    return 2 * x\n")
    (root / "pkg" / "_version.py").write_text("version = '1.0'\n")
    (root / ".gitignore").write_text("pkg/_version.py\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_pkg.py").write_text("from pkg import double\n\n\ndef test_double():\n    assert double(2) == 4\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "pkg")
    (root / "pkg" / "__init__.py").write_text("from ._version import version\n\n\ndef double(x):\n    return 3 * x\n")
    git(root, "commit", "-qam", "triple")
    result = review(root)
    assert result.tests == "1 ran, 1 broken by the change" and len(result.findings) == 1


def test_the_projects_own_testpaths_decide_which_tests_run(tmp_path):
    config = "[pytest]\ntestpaths = checks\npython_files = check_*.py\n"
    repo = two_commits(tmp_path / "p", STATS_V2, {"test_stats.py": TESTS, "pytest.ini": config}, "mean: simpler")
    (repo / "checks").mkdir()
    (repo / "checks" / "check_total.py").write_text("from stats import total\n\n\ndef test_it():\n    assert total([2]) == 2\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "checks")
    git(repo, "reset", "-q", "--soft", "HEAD~1")  # the change under review: the last two commits as one
    git(repo, "commit", "-qm", "mean and checks")
    result = review(repo)  # test_stats.py (which the change breaks) is not one of the project's tests
    assert result.findings == [] and result.tests == "1 ran, none broken by the change"


DATA_TESTS = """from pathlib import Path

HERE = Path(__file__).parent


def test_changed():
    assert (HERE / "blob.bin").read_bytes() == {blob!r}


def test_added():
    assert (HERE / "added.bin").exists() == {added}


def test_deleted():
    assert (HERE / "gone.bin").exists() == {gone}
"""


def test_binary_files_the_change_adds_changes_or_deletes_are_in_the_changed_copy(tmp_path):
    # The tests change with their data: on a copy holding the old data they would fail.
    repo = commit_files(tmp_path / "p", {"blob.bin": b"\x00v1\xff", "gone.bin": b"\x00old",
                                         "test_data.py": DATA_TESTS.format(blob=b"\x00v1\xff", added=False,
                                                                           gone=True).encode()}, "data")
    commit_files(repo, {"blob.bin": b"\x00v2\xff", "gone.bin": None, "added.bin": b"\x00new",
                        "test_data.py": DATA_TESTS.format(blob=b"\x00v2\xff", added=True, gone=False).encode()},
                 "new data")
    result = review(repo)
    assert result.tests == "3 ran, none broken by the change" and result.findings == []


def test_a_file_in_another_encoding_leaves_the_runs_on(tmp_path):
    legacy = '# -*- coding: latin-1 -*-\nGREETING = "caf\u00e9"\n'
    repo = commit_files(tmp_path / "p", {"stats.py": STATS_V1.encode(), "test_stats.py": TESTS.encode(),
                                         "legacy.py": legacy.encode("latin-1")}, "stats")
    commit_files(repo, {"stats.py": STATS_V2.encode(), "legacy.py": legacy.replace("caf", "Caf").encode("latin-1")},
                 "mean: simpler")
    result = review(repo)
    assert result.checks_problem == "" and result.tests == "3 ran, 1 broken by the change"
    assert [(f.path, f.start_line) for f in result.findings] == [("stats.py", 14)]


class Interrupted(ScriptedBackend):
    """Ctrl-C while the model works on the first chunk (after the project's tests ran)."""

    def complete(self, *args, **kwargs):
        raise KeyboardInterrupt


def test_ctrl_c_keeps_the_tests_findings_finished_before_it(tmp_path):
    repo = two_commits(tmp_path / "p", STATS_V2, {"test_stats.py": TESTS}, "mean: simpler")
    with RunStore(tmp_path / "runs.sqlite3") as store:
        with pytest.raises(ReviewInterrupted) as stopped:
            review(repo, Interrupted(outputs=[], context_window=8192), observers=[store])
        (run,) = store.list_runs()
        extra = store.get_run(run["id"])["run"]["extra"]
    result = stopped.value.result
    assert isinstance(stopped.value, KeyboardInterrupt)
    assert [f.title for f in result.findings] == ["breaks `test_mean_of_nothing_is_zero`"]
    assert "interrupted: only what was finished is shown" in result.summary
    assert run["status"] == "cancelled" and run["reason"] == result.summary
    assert [f["title"] for f in extra["findings"]] == ["breaks `test_mean_of_nothing_is_zero`"]
    assert extra["tests"] == "3 ran, 1 broken by the change" and extra["interrupted"] is True
