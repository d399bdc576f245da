"""rewrite_function: replace whole Python definitions."""

import pytest

from smallcoder.errors import ToolError
from smallcoder.tools.base import ToolContext
from smallcoder.tools.definition import defined_names, rewrite_function

SOURCE = '''import math


def mean(values):
    """Average."""
    return sum(values) / (len(values) - 1)


class Box:
    @property
    def size(self):
        return 1

    def area(self):
        return 2
'''


@pytest.fixture
def ctx(tmp_path):
    (tmp_path / "stats.py").write_text(SOURCE)
    return ToolContext(root=tmp_path)


def test_replaces_a_top_level_function(ctx):
    out = rewrite_function(ctx, "stats.py", "def mean(values):\n    return sum(values) / len(values)\n")
    text = (ctx.root / "stats.py").read_text()
    assert "rewrote mean" in out
    assert "def mean(values):\n    return sum(values) / len(values)\n\n\nclass Box" in text
    assert text.startswith("import math")


def test_replaces_a_method_keeping_class_indentation_and_decorators(ctx):
    rewrite_function(ctx, "stats.py", "@property\ndef size(self):\n    return 42\n")
    text = (ctx.root / "stats.py").read_text()
    assert "    @property\n    def size(self):\n        return 42\n\n    def area" in text
    assert text.count("@property") == 1


def test_indented_snippet_is_dedented(ctx):
    rewrite_function(ctx, "stats.py", "    def mean(values):\n        return 0\n")
    assert "def mean(values):\n    return 0\n" in (ctx.root / "stats.py").read_text()


def test_unknown_name_and_bad_code_are_reported(ctx):
    with pytest.raises(ToolError, match="not found"):
        rewrite_function(ctx, "stats.py", "def median(v):\n    return 0\n")
    with pytest.raises(ToolError, match="does not parse"):
        rewrite_function(ctx, "stats.py", "def mean(:\n")
    with pytest.raises(ToolError, match="x not assigned at the top level in stats.py"):
        rewrite_function(ctx, "stats.py", "x = 1\n")
    with pytest.raises(ToolError, match="no def, class or top-level NAME"):
        rewrite_function(ctx, "stats.py", "KEYWORDS['AS'] = 1\nprint(mean([1]))\n")
    assert (ctx.root / "stats.py").read_text() == SOURCE


def test_non_python_file_refused(ctx):
    (ctx.root / "a.js").write_text("function f() {}\n")
    with pytest.raises(ToolError, match="not a Python file"):
        rewrite_function(ctx, "a.js", "def f():\n    pass\n")


def test_defined_names():
    assert defined_names("import os\n\ndef a():\n    pass\n\nclass B:\n    pass\n") == ["a", "B"]
    assert defined_names("not python (") == []


TABLES = '''import re

KEYWORDS = {
    "SELECT": "kw",
    "FROM": "kw",
}
PATTERN = re.compile(r"\\w+")


class Name:
    def get_real_name(self):
        """The real name."""
        return self.tokens[0]


class TokenList:
    def get_real_name(self):
        """The real name of the whole list, after a dot."""
        dot = self.token_next_by(m=".")
        return self._get_first_name(dot, real_name=True)
'''


@pytest.fixture
def tables(tmp_path):
    (tmp_path / "kw.py").write_text(TABLES)
    return ToolContext(root=tmp_path)


def test_a_top_level_assignment_replaces_the_modules_own(tables):
    out = rewrite_function(tables, "kw.py", 'KEYWORDS = {\n    "SELECT": "kw",\n    "FROM": "kw",\n    "AS": "kw",\n}\n')
    assert out.startswith("rewrote KEYWORDS in kw.py")
    assert '"FROM": "kw",\n    "AS": "kw",\n}\nPATTERN = re.compile' in (tables.root / "kw.py").read_text()


def test_an_assignment_the_module_does_not_make_is_example_code_and_left_out(tables):
    code = "def helper():\n    return 1\n\nPATTERN = re.compile(r'[a-z]+')\nresult = PATTERN.match('a')\n"
    out = rewrite_function(tables, "kw.py", code)
    text = (tables.root / "kw.py").read_text()
    assert out.startswith("rewrote PATTERN in kw.py (helper not found, ignored)")
    assert "PATTERN = re.compile(r'[a-z]+')\n" in text and "result" not in text


def test_a_stray_quote_line_before_indented_code_is_dropped(ctx):
    out = rewrite_function(ctx, "stats.py", '""\n    def mean(values):\n        return sum(values) / len(values)\n')
    assert "rewrote mean" in out and "return sum(values) / len(values)" in (ctx.root / "stats.py").read_text()


def test_of_several_same_named_methods_the_one_most_like_the_code_is_replaced(tables):
    code = ('def get_real_name(self):\n    """The real name of the whole list, after a dot."""\n'
            '    dot = self.token_next_by(m=".")\n    return self._get_first_name(dot + 1, real_name=True)\n')
    out = rewrite_function(tables, "kw.py", code)
    text = (tables.root / "kw.py").read_text()
    assert out.startswith("rewrote get_real_name (the one at line 17 of 2, the closest to your code) in kw.py")
    assert "        return self._get_first_name(dot + 1, real_name=True)\n" in text
    assert "        return self.tokens[0]\n" in text  # the other class's method is untouched


def test_same_named_methods_equally_like_the_code_are_refused(tmp_path):
    twins = "class A:\n    def size(self):\n        return 1\n\n\nclass B:\n    def size(self):\n        return 1\n"
    (tmp_path / "t.py").write_text(twins)
    with pytest.raises(ToolError, match=r"defined 2 times in t.py \(lines 2, 7\) and your code is as like"):
        rewrite_function(ToolContext(root=tmp_path), "t.py", "def size(self):\n    return 2\n")
    assert (tmp_path / "t.py").read_text() == twins


def test_lone_quotes_at_both_ends_are_dropped(ctx):
    # a call whose JSON string the model wrote as Python's """…""": `""` is left at both ends
    out = rewrite_function(ctx, "stats.py", '""\ndef mean(values):\n    return sum(values) / len(values)\n    ""')
    assert "rewrote mean" in out
    assert "def mean(values):\n    return sum(values) / len(values)\n\n\nclass Box" in (ctx.root / "stats.py").read_text()


def test_a_definition_that_lives_in_another_file_is_named(ctx):
    # seen on click: help_option rewritten "in core.py", where it is only used; it is defined in decorators.py
    (ctx.root / "helpers.py").write_text("import stats\n\n\ndef spread(values):\n    return max(values) - min(values)\n")
    (ctx.root / "tests").mkdir()
    (ctx.root / "tests" / "test_h.py").write_text("def spread(v):\n    return 0\n")
    with pytest.raises(ToolError, match=r"spread not found in stats\.py; it is defined in helpers\.py \(line 4\), "
                                        r"tests/test_h\.py \(line 1\): rewrite it there"):
        rewrite_function(ctx, "stats.py", "def spread(values):\n    return 0\n")
    with pytest.raises(ToolError, match="nowhere not found in stats.py; to add new code use replace_in_file"):
        rewrite_function(ctx, "stats.py", "def nowhere():\n    return 0\n")
    assert (ctx.root / "stats.py").read_text() == SOURCE
