"""Reading task files: both shapes, SWE-bench's JSON-string lists, and one clear error per bad line."""

import json

import pytest

from smallcoder.session.batch_tasks import BatchTask, TaskFileError, read_tasks, write_tasks


def write(tmp_path, *lines):
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines) + "\n")
    return path


def test_swe_bench_instance_with_json_string_lists(tmp_path):
    row = {"instance_id": "acme__calc-12", "repo": "acme/calc", "base_commit": "abc123",
           "problem_statement": "mean is wrong", "test_patch": "diff --git a/t b/t\n",
           "FAIL_TO_PASS": json.dumps(["tests/test_m.py::test_mean"]), "PASS_TO_PASS": "[]",
           "environment_setup_commit": "def456", "version": "1.0", "hints_text": ""}
    [task] = read_tasks(write(tmp_path, row))
    assert task.instance_id == "acme__calc-12" and task.repo == "acme/calc" and task.base_commit == "abc123"
    assert task.fail_to_pass == ("tests/test_m.py::test_mean",) and task.pass_to_pass == ()
    assert task.environment_setup_commit == "def456" and task.extra["version"] == "1.0"
    assert task.evaluable


def test_smallcoder_task_line_gets_an_id_and_round_trips(tmp_path):
    path = write(tmp_path, "# comment lines and blank lines are skipped", "",
                 {"task": "fix the mean", "repo": "./calc", "test_cmd": "pytest -q", "env": {"PYTHONPATH": "src"}})
    [task] = read_tasks(path)
    assert task.instance_id == "task-3" and task.problem_statement == "fix the mean" and task.base_commit is None
    assert not task.evaluable  # no hidden tests: the run's own test verdict decides
    out = tmp_path / "again.jsonl"
    write_tasks(out, [task])
    assert read_tasks(out) == [task]


def test_json_array_is_accepted(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"task": "a", "repo": "r"}, {"task": "b", "repo": "r"}]))
    assert [t.instance_id for t in read_tasks(path)] == ["task-1", "task-2"]


@pytest.mark.parametrize("line, message", [
    ("{not json", "line 1: not valid JSON"),
    ({"repo": "r"}, "line 1: no problem"),
    ({"task": "x"}, "line 1: `repo` is missing"),
    ({"task": "x", "repo": "r", "FAIL_TO_PASS": "nope"}, "FAIL_TO_PASS is neither a list"),
    ({"task": "x", "repo": "r", "env": {"A": 1}}, "`env` must map names to strings"),
    ([1, 2], "expected a JSON object"),
])
def test_bad_lines_are_named(tmp_path, line, message):
    with pytest.raises(TaskFileError, match=message):
        read_tasks(write(tmp_path, line))


def test_repeated_ids_and_missing_file_are_refused(tmp_path):
    with pytest.raises(TaskFileError, match="repeats line 1"):
        read_tasks(write(tmp_path, {"instance_id": "a", "task": "x", "repo": "r"},
                         {"instance_id": "a", "task": "y", "repo": "r"}))
    with pytest.raises(TaskFileError, match="cannot read"):
        read_tasks(tmp_path / "absent.jsonl")


def test_file_id_is_safe_for_paths():
    task = BatchTask(instance_id="django/django#1 x", repo="r", problem_statement="p")
    assert task.file_id == "django_django_1_x"
