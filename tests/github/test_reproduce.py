"""Reproduce first: the phase that writes a failing test before the fix, with real git and real test runs."""

from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.session.reproduce import suggest_test_path
from smallcoder.repomap.testpaths import is_test_path
from smallcoder.store.runs import RunStore

from .scripts import FIX, REPRO_TEST, WRITE_REPRO, hermes

TASK = 'slugify("Hello  World") gives "hello--world"'


def run(project, outputs, **opts):
    backend = ScriptedBackend(outputs=list(outputs))
    with RunStore() as store:
        result = run_fix(TASK, project, backend, FixOptions(reproduce=True, reproduce_name="issue_7", **opts), [store])
    return result, backend


def test_reproduced_then_fixed(project):
    result, backend = run(project, [WRITE_REPRO, FIX])
    repro = result.reproduction
    assert repro.status == "reproduced" and repro.test_files == ["test_issue_7.py"]
    assert repro.tests_baseline.passed and not repro.tests_failing.passed  # the suite passed; the new test fails
    assert "test_two_spaces_give_one_dash" in repro.tests_failing.output
    assert result.tests_before is repro.tests_failing and result.tests_after.passed
    assert result.status == "resolved" and result.model_calls == 2 and repro.model_calls == 1
    assert "b/test_issue_7.py" in result.diff and "b/textutil.py" in result.diff
    # the reproduce prompt suggests the file and shows an existing test to copy; the fix prompt names the test
    assert "create test_issue_7.py" in backend.requests[0][1].content
    assert "def test_slugify_joins_words" in backend.requests[0][1].content
    assert "do not change that test" in backend.requests[1][1].content
    with RunStore() as store:
        extra = store.get_run(result.run_id)["run"]["extra"]
    assert extra["reproduction"]["status"] == "reproduced" and extra["reproduction"]["failed_before_fix"] is True


def test_a_test_that_passes_does_not_count(project):
    passing = hermes("write_file", path="test_issue_7.py",
                     content="from textutil import slugify\n\ndef test_x():\n    assert slugify('a b') == 'a-b'\n")
    result, _ = run(project, [passing, hermes("submit", summary="cannot show it"), FIX, hermes("submit", summary="ok")])
    repro = result.reproduction
    assert repro.status == "not_reproduced" and "passes on the current code" in repro.reason
    assert not (project / "test_issue_7.py").exists()
    # the fix still went ahead, but nothing shows it works: the tests passed before it too
    assert "test_issue_7.py" not in result.diff and result.status == "changed-unverified"


def test_edits_outside_tests_are_undone(project):
    # The model fixes the code during the reproduce phase, then writes the test: it passes there and then,
    # but with the early fix undone it fails on the original code, so the reproduction stands.
    result, _ = run(project, [FIX, WRITE_REPRO, hermes("submit", summary="test written"), FIX])
    repro = result.reproduction
    assert repro.status == "reproduced", repro.reason
    assert repro.tests_failing.command and "test_two_spaces_give_one_dash" in repro.tests_failing.output
    assert not repro.tests_failing.passed and result.status == "resolved"


def test_a_test_that_does_not_run_is_sent_back(project):
    # valid Python that cannot be collected (a name the module lacks); a syntax error is refused by write_file itself
    broken = hermes("write_file", path="test_issue_7.py",
                    content="from textutil import no_such_name\n\ndef test_x():\n    assert no_such_name('a b')\n")
    result, backend = run(project, [broken, WRITE_REPRO, FIX])
    assert "does not run" in backend.requests[1][-1].content
    assert result.reproduction.status == "reproduced" and result.reproduction.steps == 2


def test_model_gives_up_and_says_so(project):
    result, _ = run(project, [hermes("submit", summary="needs a real terminal"), FIX, hermes("submit", summary="ok")])
    assert result.reproduction.status == "not_reproduced"
    assert result.reproduction.reason == "no test was written (the model said: needs a real terminal)"
    assert result.tests_before.passed and result.status == "changed-unverified"


def test_a_fix_that_changes_nothing_is_not_verified_by_the_test_alone(project):
    result, _ = run(project, [WRITE_REPRO, hermes("submit", summary="done"), hermes("submit", summary="done!")])
    assert result.reproduction.reproduced
    assert result.status == "unresolved" and not result.tests_after.passed


def test_without_a_test_command_it_is_skipped(project):
    (project / "test_textutil.py").unlink()
    (project / "textutil.py").rename(project / "textutil.txt")  # nothing left to detect a test command from
    result, _ = run(project, [hermes("submit", summary="nothing to do")])
    assert result.test_command is None and result.reproduction.status == "skipped"


def test_test_path_rules(tmp_path):
    assert is_test_path("tests/test_a.py") and is_test_path("a_test.go") and is_test_path("src/a.test.ts")
    assert is_test_path("tests/helpers.py") and is_test_path("FooTest.java")
    assert not is_test_path("textutil.py") and not is_test_path("__pycache__/test_a.cpython-311.pyc")
    assert not is_test_path("latest.py")


def test_suggested_path_follows_the_layout(project):
    assert suggest_test_path(project, "issue_7") == "test_issue_7.py"
    (project / "tests").mkdir()
    (project / "tests" / "test_more.py").write_text(REPRO_TEST)
    assert suggest_test_path(project, "issue_7") == "tests/test_issue_7.py"


def test_a_fresh_attempt_in_the_fix_phase_keeps_the_reproducing_test(project):
    look = hermes("read_file", path="textutil.py")
    result, backend = run(project, [WRITE_REPRO, look, look, FIX])  # the verbatim repeat resets the worktree
    assert backend.temperatures[-1] is not None  # a fresh, hotter attempt happened
    assert result.status == "resolved" and "b/test_issue_7.py" in result.diff


def test_a_phase_ended_by_a_limit_is_not_reported_as_the_models_words(project):
    looking = [hermes("read_file", path="textutil.py", start_line=n) for n in range(1, 7)]  # the phase's 6 steps
    result, _ = run(project, [*looking, FIX, hermes("submit", summary="done")])
    assert result.reproduction.status == "not_reproduced"
    assert result.reproduction.reason.startswith("no test was written (the phase ended: step limit of 6")
