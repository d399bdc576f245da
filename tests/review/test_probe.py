"""review/probe.py: the script that runs a finding's call, run for real with this interpreter (no
sandbox: session/review_probe.py adds that), and the pure parts around it."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smallcoder.review.probe import Outcome, compare, enclosing_class, import_target, probe_script, read_outcome


@pytest.fixture
def tree(tmp_path) -> Path:
    pkg = tmp_path / "src" / "calc"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "stats.py").write_text("import os\n\ndef mean(xs):\n    return sum(xs) / len(xs)\n\n"
                                  "class Box:\n    def __init__(self, v):\n        self.v = v\n")
    (tmp_path / "tool.py").write_text("def hello():\n    print('hi')\n    return 1\n")
    return tmp_path


def run(tree: Path, call: str, path: str = "src/calc/stats.py") -> Outcome:
    target = import_target(tree, path)
    assert target is not None
    out = subprocess.run([sys.executable, "-c", probe_script(call, [target])], cwd=tree, capture_output=True,
                         text=True, timeout=60)
    return read_outcome(out.stdout + out.stderr)


def test_import_targets_follow_packages_up_to_their_root(tree):
    assert import_target(tree, "src/calc/stats.py") == ("src", "calc.stats")
    assert import_target(tree, "src/calc/__init__.py") == ("src", "calc")
    assert import_target(tree, "tool.py") == (".", "tool")
    assert import_target(tree, "setup.py") is None  # importing it would run setup()
    assert import_target(tree, "web/app.js") is None
    assert import_target(tree, "scripts/make-docs.py") is None  # not an identifier


def test_a_call_sees_the_modules_names_and_reports_its_value(tree):
    assert run(tree, "mean([1, 2])") == Outcome(value="1.5")
    assert run(tree, "stats.mean([4])").value == "4.0"  # the module under its short name
    assert run(tree, "calc.stats.mean([4])").value == "4.0"  # and its top-level package
    assert run(tree, "x = mean([2, 4])").value == "3.0"  # the last assigned name
    assert run(tree, "Box(3).v").value == "3"


def test_an_exception_is_an_outcome_and_print_output_is_kept(tree):
    assert run(tree, "mean([])") == Outcome(raised="ZeroDivisionError: division by zero")
    assert run(tree, "hello()", path="tool.py") == Outcome(value="1", stdout="hi\n")
    assert run(tree, "hello()", path="tool.py").describe() == "prints 'hi' and returns 1"


def test_object_addresses_are_stripped(tree):
    assert run(tree, "Box(1)").value == "<calc.stats.Box object>"


def test_calls_that_never_reach_the_code_are_not_runnable(tree):
    for call in ("self.mean([])", "an empty list", "", "import nosuchmodule_xyz"):
        assert not run(tree, call).ran, call
    (tree / "src" / "calc" / "stats.py").write_text("import nosuchdependency_xyz\n")
    assert run(tree, "1").raised.startswith("ImportError: importing calc.stats")


def test_output_without_a_report_is_a_failed_probe():
    assert not read_outcome("Segmentation fault").ran
    assert read_outcome("junk\n@@probe@@{\"value\": \"2\"}\n").value == "2"


def test_compare_needs_the_old_side_to_run():
    ok, boom = Outcome(value="0"), Outcome(raised="ZeroDivisionError: division by zero")
    assert compare(ok, boom) == "differs"
    assert compare(ok, Outcome(value=" 0 ")) == "same"
    assert compare(Outcome(raised="NameError: name 'self' is not defined"), ok) == "unrunnable"
    assert compare(ok, Outcome(raised="probe: the call did not finish in 10 s")) == "unrunnable"
    # a name the change removed is a real difference, not an unrunnable call
    assert compare(ok, Outcome(raised="NameError: name 'total' is not defined")) == "differs"
    assert compare(Outcome(value="1", stdout="a"), Outcome(value="1", stdout="b")) == "differs"


@settings(max_examples=15, deadline=None)
@given(st.text(max_size=40))
def test_whatever_the_model_writes_the_probe_reports_an_outcome(tmp_path_factory, call):
    tree = tmp_path_factory.mktemp("t")
    (tree / "m.py").write_text("def f(x=0):\n    return x\n")
    out = subprocess.run([sys.executable, "-c", probe_script(call, [(".", "m")])], cwd=tree, capture_output=True,
                         text=True, timeout=60)
    assert "@@probe@@" in out.stdout, (call, out.stderr[-300:])


def test_a_call_on_self_runs_on_an_instance_of_the_enclosing_class(tree):
    (tree / "shapes.py").write_text("class Square:\n    def __init__(self, side=2):\n        self.side = side\n\n"
                                    "    def area(self):\n        return self.side ** 2\n\n"
                                    "class Needy:\n    def __init__(self, x):\n        self.x = x\n")
    source = (tree / "shapes.py").read_text()
    assert (enclosing_class(source, 6), enclosing_class(source, 10), enclosing_class(source, 7)) == \
        ("Square", "Needy", "")

    def on(call, cls):
        out = subprocess.run([sys.executable, "-c", probe_script(call, [(".", "shapes")], cls)], cwd=tree,
                             capture_output=True, text=True, timeout=60)
        return read_outcome(out.stdout)
    assert on("self.area()", "Square") == Outcome(value="4")
    assert not on("self.area()", "").ran  # no class: `self` is an unknown name
    needy = on("self.x", "Needy")
    assert not needy.ran and needy.raised.startswith("NameError: self: Needy() needs arguments")


def test_the_probe_reports_which_lines_of_the_traced_file_ran(tree):
    target = import_target(tree, "src/calc/stats.py")
    out = subprocess.run([sys.executable, "-c", probe_script("mean([])", [target], traced="src/calc/stats.py")],
                         cwd=tree, capture_output=True, text=True, timeout=60)
    outcome = read_outcome(out.stdout)
    assert outcome.raised.startswith("ZeroDivisionError") and outcome.lines == {4}  # mean's body, not its def line
    assert {1, 3, 6, 7} <= outcome.imported and 8 not in outcome.imported  # the import ran the def lines
    assert outcome.last_line == 4  # where it stopped


def test_how_to_reach_names_the_function_its_guards_and_its_callers():
    from smallcoder.review.probe import how_to_reach
    source = ("class Table:\n"
              "    def _widths(self, rows):\n"
              "        if self.max_width:\n"
              "            if len(rows) > 2:\n"
              "                return 1\n"
              "        else:\n"
              "            return 2\n"
              "        return 3\n"
              "\n"
              "    def render(self):\n"
              "        return self._widths([])\n"
              "\n"
              "LIMIT = 3\n")
    assert how_to_reach(source, 5) == ("line 5 is in `_widths` and runs only when `self.max_width` and "
                                       "`len(rows) > 2`; `_widths` is called by `render`")
    assert how_to_reach(source, 7) == ("line 7 is in `_widths` and runs only when `not (self.max_width)`; "
                                       "`_widths` is called by `render`")
    assert how_to_reach(source, 11) == "line 11 is in `render`"
    assert how_to_reach(source, 13) == "" and how_to_reach("def (:", 1) == ""


def test_statement_lines_is_the_statement_or_a_compound_header():
    from smallcoder.review.probe import statement_lines
    source = ("def f(x):\n"
              "    if x is None:\n"
              "        return 0\n"
              "    y = g(\n"
              "        x,\n"
              "    )\n"
              "    return y\n")
    assert statement_lines(source, 5) == range(4, 7)  # a wrapped call: its first line reports the events
    assert statement_lines(source, 2) == range(2, 3)  # an if: its header, not the early return under it
    assert statement_lines(source, 3) == range(3, 4)
    assert statement_lines("def (:", 1) == range(1, 2)


def test_a_project_module_named_like_the_stdlib_does_not_break_the_probe(tmp_path):
    (tmp_path / "json.py").write_text("dumps = None\n")
    (tmp_path / "m.py").write_text("def f():\n    return 1\n")
    # the probe runs as a file in the project's top folder, which Python puts first on sys.path
    (tmp_path / "probe.py").write_text(probe_script("f()", [(".", "m")]))
    out = subprocess.run([sys.executable, "probe.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert read_outcome(out.stdout).value == "1", out.stdout + out.stderr
