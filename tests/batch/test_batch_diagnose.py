"""Where a failed batch run went wrong: every stage from records shaped like real ones, and the report's
column and counts."""

import json

import pytest

from smallcoder.session.batch_diagnose import diagnose, gold_files, patch_files, patch_left, stage_counts
from smallcoder.session.batch_records import BatchOutput
from smallcoder.session.batch_report import write_report
from smallcoder.session.batch_tasks import BatchTask

pytest.importorskip("unidiff")

GOLD_PATCH = """diff --git a/CHANGELOG b/CHANGELOG
index 0e5958d..3a01c0c 100644
--- a/CHANGELOG
+++ b/CHANGELOG
@@ -1,2 +1,3 @@
 Bug Fixes
+* Parse leading-dot floats in BETWEEN.
 * Older fix.
diff --git a/sqlparse/keywords.py b/sqlparse/keywords.py
index 1111111..2222222 100644
--- a/sqlparse/keywords.py
+++ b/sqlparse/keywords.py
@@ -1,3 +1,3 @@
 SQL_REGEX = [
-    (r'\\d+\\.\\d+', tokens.Number.Float),
+    (r'\\d*\\.\\d+', tokens.Number.Float),
 ]
"""

MODEL_IN_GOLD_FILE = """diff --git a/sqlparse/keywords.py b/sqlparse/keywords.py
index 1111111..3333333 100644
--- a/sqlparse/keywords.py
+++ b/sqlparse/keywords.py
@@ -1,3 +1,3 @@
 SQL_REGEX = [
-    (r'\\d+\\.\\d+', tokens.Number.Float),
+    (r'\\d+\\.?\\d*', tokens.Number.Float),
 ]
"""

MODEL_ELSEWHERE = """diff --git a/sqlparse/lexer.py b/sqlparse/lexer.py
index 4444444..5555555 100644
--- a/sqlparse/lexer.py
+++ b/sqlparse/lexer.py
@@ -1,3 +1,2 @@
 def tokens():
--- a SQL comment line removed, not a file header
     pass
"""

F2P = "tests/test_regressions.py::test_between_leading_dot_float_issue601[a BETWEEN .03 AND .06]"
P2P = "tests/test_tokenize.py::test_tokenize_simple"


def task(**kw):
    line = {"instance_id": "sqlparse-a194d3187b", "repo": "repos/sqlparse.bundle", "problem_statement": "p",
            "patch": GOLD_PATCH, "FAIL_TO_PASS": [F2P], "PASS_TO_PASS": [P2P], **kw}
    return BatchTask.from_json(line)


def record(outcome="unresolved", patch=MODEL_IN_GOLD_FILE, f2p=True, p2p=True, reason="", **kw):
    """A record as batch_instance.py writes one for a model run that reached evaluation."""
    evaluation = {"verdict": outcome, "reason": reason, "fail_to_pass": {F2P: f2p}, "pass_to_pass": {P2P: p2p},
                  "duration_s": 1.2}
    return {"instance_id": "sqlparse-a194d3187b", "model": "m", "model_name_or_path": "m", "model_spec": "m.gguf",
            "model_patch": patch, "outcome": outcome, "reason": reason, "host": "vm", "pid": 1, "max_steps": 4,
            "run_status": "unresolved", "run_reason": "the tests still fail after the change",
            "stop_reason": "submitted", "stop_message": "done", "steps": 3, "model_calls": 3,
            "prompt_tokens": 900, "completion_tokens": 100, "cached_tokens": 600, "evaluation": evaluation,
            "eval_s": 4.7, "wall_s": 60.0, **kw}


def test_gold_files_come_from_the_diff_headers_with_renames_new_and_deleted_files():
    patch = """diff --git a/old.py b/new.py
similarity index 100%
rename from old.py
rename to new.py
diff --git a/added.py b/added.py
new file mode 100644
index 0000000..8ba3a16
--- /dev/null
+++ b/added.py
@@ -0,0 +1 @@
+n
diff --git a/gone.py b/gone.py
deleted file mode 100644
index 286c5f5..0000000
--- a/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-gone
diff --git "a/t\\303\\251.py" "b/t\\303\\251.py"
index 4ae8ef0..967e095 100644
--- "a/t\\303\\251.py"
+++ "b/t\\303\\251.py"
@@ -1 +1 @@
-u
+u2
"""
    assert patch_files(patch) == {"old.py", "new.py", "added.py", "gone.py", "té.py"}
    assert patch_files(GOLD_PATCH) == {"CHANGELOG", "sqlparse/keywords.py"}
    assert patch_files(MODEL_ELSEWHERE) == {"sqlparse/lexer.py"}  # a removed "-- " line is no header
    assert patch_files("") == frozenset()
    assert gold_files({}, task()) == {"CHANGELOG", "sqlparse/keywords.py"}
    assert gold_files({"gold_files": ["a.py"]}) == {"a.py"} and gold_files({}) is None


@pytest.mark.parametrize("rec, stage", [
    (record("resolved", reason="all listed tests pass"), "resolved"),
    (record("env_error", patch="", reason="1 PASS_TO_PASS test(s) fail before any change"), "env_error"),
    (record("error", patch="", reason="ValueError: boom"), "error"),
    # the driver's record when it kills an instance: nothing but the outcome
    ({"instance_id": "x", "model": "m", "model_patch": "", "wall_s": 600.2, "outcome": "timeout",
      "reason": "killed at the time limit (600 s)"}, "timeout"),
    (record(stop_reason="limits_exceeded", stop_message="step limit of 4 reached", steps=5), "out_of_steps"),
    (record(patch="", reason="empty patch", f2p=False), "no_patch"),
    (record(patch=MODEL_ELSEWHERE, f2p=False), "wrong_file"),
    (record(f2p=False, reason="1 listed test(s) fail"), "wrong_edit"),
    (record(p2p=False, reason="1 listed test(s) fail"), "broke_tests"),
])
def test_every_stage(rec, stage):
    assert diagnose(rec, task()) == stage


def test_limits_other_than_steps_are_judged_by_the_patch():
    full = record(stop_reason="limits_exceeded", f2p=False,
                  stop_message="context window full: 4000 prompt tokens + 512 for the reply exceed 4096")
    assert diagnose(full, task()) == "wrong_edit"
    assert diagnose(record(stop_reason="stuck", patch="", stop_message="same call 3 times"), task()) == "no_patch"


def test_a_patch_that_does_not_apply_is_a_wrong_edit_in_the_right_file():
    rec = record(reason="the patch does not apply: error: corrupt patch")
    rec["evaluation"].update(fail_to_pass={}, pass_to_pass={})
    assert diagnose(rec, task()) == "wrong_edit"
    assert diagnose({**rec, "gold_files": ["sqlparse/keywords.py"]}) == "wrong_edit"  # no task: the reason says
    assert diagnose({**record(patch=MODEL_ELSEWHERE, reason=rec["reason"]), "evaluation": rec["evaluation"]},
                    task()) == "wrong_file"


def test_old_records_give_the_stage_that_can_still_be_told():
    old = record(f2p=False)
    for key in ("stop_reason", "stop_message", "max_steps"):
        del old[key]
    assert diagnose(old) == "unknown"  # no task, no gold_files: the file cannot be judged
    assert diagnose({**old, "gold_files": ["sqlparse/keywords.py"]}) == "wrong_edit"
    assert diagnose({**old, "model_patch": ""}) == "no_patch"
    # steps past the limit (the loop counts the step it refused), or the run's reason naming it
    assert diagnose({**old, "steps": 5, "max_steps": 4}) == "out_of_steps"
    assert diagnose({**old, "steps": 4, "max_steps": 4}, task()) == "wrong_edit"  # submitted on its last step
    assert diagnose({**old, "run_reason": "step limit of 4 reached; the change it left is not verified"}) \
        == "out_of_steps"
    no_eval = {k: v for k, v in old.items() if k != "evaluation"}
    assert diagnose(no_eval, task()) == "unknown"  # right file, but no per-test results
    assert diagnose({**old, "outcome": "cancelled"}) == "unknown"


def test_the_patch_a_run_stopped_at_a_limit_left_is_judged_apart():
    limit = {"stop_reason": "limits_exceeded", "stop_message": "step limit of 4 reached", "steps": 5}
    in_gold = record(f2p=False, **limit)
    assert diagnose(in_gold, task()) == "out_of_steps" and patch_left(in_gold, task()) == "wrong_edit"
    assert patch_left(record(patch=MODEL_ELSEWHERE, f2p=False, **limit), task()) == "wrong_file"
    assert patch_left(record(patch="", f2p=False, **limit), task()) == "no_patch"
    assert patch_left(record(p2p=False, **limit), task()) == "broke_tests"
    killed = {"instance_id": "x", "model": "m", "model_patch": "", "outcome": "timeout",
              "reason": "killed at the time limit (600 s)"}
    assert diagnose(killed, task()) == "timeout" and patch_left(killed, task()) == "unknown"  # never collected
    # a peer's timeout with its patch and evaluation in the record is judged by them
    assert patch_left({**record(f2p=False), "outcome": "timeout"}, task()) == "wrong_edit"
    # the agent stopped itself at the time limit batch gave it: a timeout whose patch was kept and judged
    own_limit = record(f2p=False, stop_reason="limits_exceeded", stop_message="time limit of 540 s reached")
    assert diagnose(own_limit, task()) == "timeout" and patch_left(own_limit, task()) == "wrong_edit"
    # a run that was not stopped: the same answer as diagnose
    for rec in (record(patch="", f2p=False), record(patch=MODEL_ELSEWHERE, f2p=False), record(p2p=False)):
        assert patch_left(rec, task()) == diagnose(rec, task())


def test_stage_counts_cover_every_stage():
    counts = stage_counts(["no_patch", "no_patch", "wrong_file", "odd"])
    assert counts["no_patch"] == 2 and counts["wrong_file"] == 1 and counts["unknown"] == 1
    assert counts["broke_tests"] == 0 and "resolved" in counts


def test_report_shows_the_stage_column_and_per_model_counts(tmp_path):
    out = BatchOutput(tmp_path)
    out.start({"max_steps": 4}, resume=False)
    gold = {"instance_id": "a", "model": "gold", "model_name_or_path": "gold", "model_patch": GOLD_PATCH,
            "outcome": "resolved", "reason": "all listed tests pass", "steps": 0, "model_calls": 0}
    out.write(gold)
    out.write({**gold, "instance_id": "b"})
    out.write({**gold, "instance_id": "c"})
    wrong_file = record(patch=MODEL_ELSEWHERE, f2p=False, instance_id="a")
    del wrong_file["max_steps"]  # written before records kept these: the batch's gold run and batch.json tell
    out.write(wrong_file)
    old_limit = {**record(f2p=False, instance_id="b", steps=5), "stop_reason": None}
    del old_limit["max_steps"]
    out.write(old_limit)
    out.write(record(p2p=False, instance_id="c"))
    md, page = write_report(tmp_path)
    text = md.read_text()
    assert "## Where the failed runs went wrong" in text
    head = "| model | not resolved | no_patch | wrong_file | wrong_edit | broke_tests | out_of_steps | timeout |"
    assert head in text
    assert "| m | 3 | 0 | 1 | 0 | 1 | 1 | 0 | 0 | 0 | 0 |" in text and "| gold | 0 | 0 |" in text
    assert "| outcome | went wrong at | patch left |" in text
    assert "| a | m | unresolved | wrong_file | – |" in text
    assert "| b | m | unresolved | out_of_steps | wrong_edit |" in text  # the gold run tells b's gold file
    assert "| model | stopped at a limit | no_patch | wrong_file | wrong_edit | broke_tests | unknown |" in text
    assert "| m | 1 | 0 | 0 | 1 | 0 | 0 |" in text and "| gold | 0 | 0 | 0 | 0 | 0 | 0 |" in text
    assert "| c | m | unresolved | broke_tests |" in text and "| a | gold | resolved | – |" in text
    html = page.read_text()
    assert "<th>went wrong at</th>" in html and "<td>broke_tests</td>" in html
    assert "Where the failed runs went wrong" in html
    assert json.loads((tmp_path / "m" / "records.jsonl").read_text().splitlines()[0]).get("gold_files") is None


def test_a_patch_that_only_touches_the_changelog_did_not_find_the_code():
    from smallcoder.session.batch_diagnose import code_files
    assert code_files(frozenset({"CHANGELOG", "sqlparse/keywords.py"})) == {"sqlparse/keywords.py"}
    assert code_files(frozenset({"CHANGES.rst", "docs/api.md", "AUTHORS", "src/a.py"})) == {"src/a.py"}
    assert code_files(frozenset({"README.md"})) == {"README.md"}  # a docs-only fix keeps its files
    only_changelog = {"outcome": "unresolved", "model_patch": GOLD_PATCH.split("diff --git a/sqlparse")[0]}
    assert patch_files(only_changelog["model_patch"]) == {"CHANGELOG"}
    assert diagnose(only_changelog, task()) == "wrong_file"
