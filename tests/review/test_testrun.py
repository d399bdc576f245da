"""The pure half of running the project's tests in a review: the plugin's reports read back, and
broken tests turned into findings on the changed lines they ran."""

import json

from hypothesis import given
from hypothesis import strategies as st

from smallcoder.review.diff import parse_diff
from smallcoder.review.testrun import DONE, MARK, Failure, broken_test_findings, plugin_source, read_suite

DIFF = """diff --git a/m.py b/m.py
--- a/m.py
+++ b/m.py
@@ -1,6 +1,7 @@
 def f(x):
-    return x
+    y = x + 1
+    return y
 
 
 def g(x):
-    return x
+    return -x
"""
NEW = "def f(x):\n    y = x + 1\n    return y\n\n\ndef g(x):\n    return -x\n"


def report(test, ran=(), when="call", message="assert 1 == 2"):
    return MARK + json.dumps({"test": test, "when": when, "message": message, "ran": [list(r) for r in ran]})


def test_reports_are_read_back_and_other_output_is_ignored():
    out = "\n".join(["..F", report("t.py::a", [("m.py", 2)]), "E   garbage", MARK + "{not json",
                     DONE + json.dumps({"collected": 3, "failed": 1})])
    suite = read_suite(out)
    assert suite.finished and (suite.collected, suite.failed) == (3, 1)
    assert suite.failures == {"t.py::a": Failure("t.py::a", "call", "assert 1 == 2", (("m.py", 2),))}


def test_a_run_cut_short_keeps_the_failures_it_reported():
    suite = read_suite(report("t.py::a") + "\nKilled")
    assert not suite.finished and list(suite.failures) == ["t.py::a"]


@given(st.text())
def test_any_output_reads_without_raising(text):
    read_suite(text)
    read_suite(MARK + text)


def test_each_broken_test_goes_on_the_last_changed_line_it_ran_and_tests_at_one_place_join():
    diff = parse_diff(DIFF)
    broken = [Failure("t.py::a", "call", "boom", (("m.py", 7), ("m.py", 2))),
              Failure("t.py::b", "call", "bang", (("m.py", 3),)),
              Failure("t.py::c", "call", "late", (("m.py", 2), ("m.py", 7)))]
    first, second = broken_test_findings(broken, diff, lambda p: NEW)
    assert (first.start_line, first.end_line, first.quote) == (2, 3, "y = x + 1")
    assert first.title == "breaks `a` and 1 more test" and first.scenario.startswith(
        "`t.py::a`, `t.py::b` pass before this change and fail after it: boom")
    assert (second.start_line, second.end_line, second.quote) == (7, 7, "return -x")


def test_a_test_that_ran_no_changed_line_goes_on_the_first_one():
    (f,) = broken_test_findings([Failure("t.py", "collect", "ImportError: x")], parse_diff(DIFF), lambda p: NEW)
    assert (f.start_line, f.end_line) == (2, 3) and "fails at collect after it: ImportError: x" in f.scenario


def test_the_plugin_is_python_and_watches_the_changed_lines():
    source = plugin_source({"m.py": {2, 3}})
    compile(source, "plugin", "exec")
    assert "{'m.py': [2, 3]}" in source


def test_the_example_is_the_shortest_passing_test_that_ran_the_line(tmp_path):
    from smallcoder.review.testrun import example_test
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.py").write_text(
        "import pytest\n\nclass TestF:\n    @pytest.mark.parametrize('x', [1])\n    def test_long(self, x):\n"
        "        y = x\n        assert f(y) == 2\n\n\ndef test_short():\n    assert f(1) == 2\n")
    reach = {("m.py", 2): ("tests/t.py::TestF::test_long[1]", "tests/t.py::test_short", "tests/t.py::gone")}
    assert example_test(tmp_path, reach, "m.py", range(2, 3)) == "def test_short():\n    assert f(1) == 2"
    reach = {("m.py", 2): ("tests/t.py::TestF::test_long[1]",)}
    assert example_test(tmp_path, reach, "m.py", range(4, 5)) == (  # a line next to it, dedented, no decorator
        "def test_long(self, x):\n    y = x\n    assert f(y) == 2")
    assert example_test(tmp_path, reach, "m.py", range(9, 10)) == "" and example_test(tmp_path, {}, "m.py", range(2, 3)) == ""


def test_the_reach_of_passing_tests_is_read_back():
    out = DONE + json.dumps({"collected": 2, "failed": 0, "reach": {"src/m.py:12": ["t.py::a"], "bad": ["x"]}})
    assert read_suite(out).reach == {("src/m.py", 12): ("t.py::a",)}


def test_a_findings_fingerprint_survives_a_moved_line_and_a_new_count():
    (f,) = broken_test_findings([Failure("t.py::a", "call", "boom", (("m.py", 7),))], parse_diff(DIFF), lambda p: NEW)
    from dataclasses import replace
    moved = replace(f, start_line=8, end_line=8, title="breaks `a` and 11 more tests")
    assert moved.key == f.key and replace(f, quote="return x").key != f.key
