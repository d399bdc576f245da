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
    with pytest.raises(ToolError, match="no def or class"):
        rewrite_function(ctx, "stats.py", "x = 1\n")
    assert (ctx.root / "stats.py").read_text() == SOURCE


def test_non_python_file_refused(ctx):
    (ctx.root / "a.js").write_text("function f() {}\n")
    with pytest.raises(ToolError, match="not a Python file"):
        rewrite_function(ctx, "a.js", "def f():\n    pass\n")


def test_defined_names():
    assert defined_names("import os\n\ndef a():\n    pass\n\nclass B:\n    pass\n") == ["a", "B"]
    assert defined_names("not python (") == []
