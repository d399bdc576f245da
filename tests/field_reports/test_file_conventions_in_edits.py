"""Class: edits keep the file's own conventions.

Tab-indented files: every indentation level of the new text, deeper ones included, is written in the file's
unit. An edit that stops a file from compiling is refused with the offending line quoted. Line endings:
replaced lines take the ending of the lines they replace, in all-CRLF and mixed files, and unchanged lines
never show up in the diff. Real files in real git repos; the end-to-end case runs `smallcoder fix`'s pipeline
with the recorded replies of the field report.
"""

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smallcoder.errors import ToolError
from smallcoder.tools.base import ToolContext
from smallcoder.tools.edit import replace_in_file
from smallcoder.tools.indentation import indent_unit

from .conftest import UNITTEST, make_repo

DATA = Path(__file__).parent / "data"
CONFIG = "def parse_port(text):\n\tvalue = text.strip()\n\tif value:\n\t\treturn int(value)\n\treturn 8080\n"
TEST_CONFIG = (
    "import unittest\nfrom config import parse_port\n\n\nclass T(unittest.TestCase):\n"
    "    def test_bad(self):\n        self.assertEqual(parse_port('abc'), 8080)\n\n"
    "    def test_ok(self):\n        self.assertEqual(parse_port(' 81 '), 81)\n"
)
FIXED = ("def parse_port(text):\n\tvalue = text.strip()\n\tif value:\n\t\ttry:\n\t\t\treturn int(value)\n"
         "\t\texcept ValueError:\n\t\t\tpass\n\treturn 8080\n")


def edit(repo: Path, path: str, old: str, new: str) -> str:
    return replace_in_file(ToolContext(root=repo), path, old, new)


def changed_lines(repo: Path) -> list[str]:
    """The diff's changed lines, byte for byte (a CR at a line's end is kept)."""
    diff = subprocess.run(["git", "diff", "--no-color", "-U0"], cwd=repo, check=True, capture_output=True).stdout
    lines = diff.decode().split("\n")
    return [x for x in lines if x[:1] in ("+", "-") and not x.startswith(("+++", "---"))]


def test_field_case_tabs_deeper_nesting_end_to_end(tmp_path):
    from smallcoder.backends.scripted import ScriptedBackend
    from smallcoder.session.fix import FixOptions, run_fix

    repo = make_repo(tmp_path / "repo", {"config.py": CONFIG, "test_config.py": TEST_CONFIG})
    backend = ScriptedBackend.from_file(DATA / "tabs-deeper-nesting.json")
    result = run_fix("parse_port('abc') raises ValueError; it should fall back to 8080", repo, backend,
                     FixOptions(test_command=f"{UNITTEST} test_config"), [])
    assert result.status == "resolved", result.reason
    written = (Path(result.worktree) / "config.py").read_text()
    assert written == FIXED and "\t\t\treturn int(value)" in written
    compile(written, "config.py", "exec")


@pytest.mark.parametrize("unit", ["    ", "  ", "\t"])
@pytest.mark.parametrize("file_unit", ["\t", "    ", "  "])
def test_every_level_is_written_in_the_file_unit(tmp_path, unit, file_unit):
    repo = make_repo(tmp_path / "r", {"config.py": CONFIG.replace("\t", file_unit)})
    old = f"{unit}if value:\n{unit * 2}return int(value)\n"
    new = f"{unit}if value:\n{unit * 2}try:\n{unit * 3}return int(value)\n{unit * 2}except ValueError:\n{unit * 3}pass\n"
    edit(repo, "config.py", old, new)
    assert (repo / "config.py").read_text() == FIXED.replace("\t", file_unit)


def test_spaces_in_new_after_an_exact_tab_match_become_tabs(tmp_path):
    repo = make_repo(tmp_path / "r", {"config.py": CONFIG})
    edit(repo, "config.py", "\tif value:\n\t\treturn int(value)\n",
         "\tif value:\n        try:\n            return int(value)\n        except ValueError:\n            pass\n")
    assert (repo / "config.py").read_text() == FIXED


def test_an_edit_that_would_break_compiling_is_refused_quoting_the_line(tmp_path):
    repo = make_repo(tmp_path / "r", {"config.py": CONFIG})
    with pytest.raises(ToolError) as exc:
        edit(repo, "config.py", "\t\treturn int(value)\n", "\t\treturn int(value)\n\t  x = (\n")
    message = str(exc.value)
    assert "would no longer compile" in message and "x = (" in message
    assert (repo / "config.py").read_text() == CONFIG


@pytest.mark.parametrize("layer", ["exact", "trailing-space", "indent"])
def test_all_crlf_file_stays_crlf_and_the_diff_holds_only_the_change(tmp_path, layer):
    text = "def f(x):\r\n    y = x + 1\r\n    return y\r\n\r\n\r\ndef g():\r\n    return 0\r\n"
    repo = make_repo(tmp_path / "r", {"m.py": text.encode()})
    old = {"exact": "    y = x + 1\n    return y\n", "trailing-space": "    y = x + 1  \n    return y\n",
           "indent": "y = x + 1\nreturn y\n"}[layer]
    new = {"exact": "    y = x + 2\n    return y\n", "trailing-space": "    y = x + 2\n    return y\n",
           "indent": "y = x + 2\nreturn y\n"}[layer]
    edit(repo, "m.py", old, new)
    assert (repo / "m.py").read_bytes() == text.replace("x + 1", "x + 2").encode()
    assert changed_lines(repo) == ["-    y = x + 1\r", "+    y = x + 2\r"]


@pytest.mark.parametrize("old,new,expected", [
    ("b = 2\nc = 3\n", "b = 20\nc = 30\n", b"a = 1\r\nb = 20\r\nc = 30\nd = 4\n"),  # each line keeps its own
    ("b = 2", "b = 2\nbb = 22", b"a = 1\r\nb = 2\r\nbb = 22\r\nc = 3\nd = 4\n"),  # a line split inside CRLF
    ("c = 3\n", "c = 30\ncc = 33\n", b"a = 1\r\nb = 2\r\nc = 30\ncc = 33\nd = 4\n"),  # an LF region stays LF
])
def test_mixed_endings_replaced_lines_take_the_ending_they_replace(tmp_path, old, new, expected):
    repo = make_repo(tmp_path / "r", {"m.txt": b"a = 1\r\nb = 2\r\nc = 3\nd = 4\n"})
    edit(repo, "m.txt", old, new)
    assert (repo / "m.txt").read_bytes() == expected
    assert not any(x[1:].startswith(("a = 1", "d = 4")) for x in changed_lines(repo))


def test_indent_unit_detection():
    assert indent_unit(CONFIG.splitlines()) == "\t"
    assert indent_unit(["class A:", "        def f(self):", "            pass"]) == "    "
    assert indent_unit(["def f(x,", "       y):", "    return x"]) == "    "
    assert indent_unit(["x = 1"], default="  ") == "  "


@settings(max_examples=60, deadline=None, derandomize=True)
@given(depth=st.integers(1, 6), unit=st.sampled_from(["  ", "    ", "\t"]), file_unit=st.sampled_from(["\t", "    "]),
       base=st.integers(0, 3))
def test_any_nesting_depth_comes_out_in_the_file_unit(tmp_path_factory, depth, unit, file_unit, base):
    # A block nested `depth` levels below old's last line, written in `unit`, into a file indented with `file_unit`.
    text = "def f():\n" + "".join(f"{file_unit * (base + i)}if x{i}:\n" for i in range(2)) + f"{file_unit * (base + 2)}pass\n"
    repo = tmp_path_factory.mktemp("r")
    (repo / "m.txt").write_text(text)
    old = f"{unit * base}if x1:\n{unit * (base + 1)}pass\n"
    deeper = "".join(f"{unit * (base + 1 + i)}if y{i}:\n" for i in range(depth)) + f"{unit * (base + 1 + depth)}pass\n"
    edit(repo, "m.txt", old, f"{unit * base}if x1:\n" + deeper)
    lines = (repo / "m.txt").read_text().splitlines()
    for i in range(depth):
        assert f"{file_unit * (base + 2 + i)}if y{i}:" in lines
    assert f"{file_unit * (base + 2 + depth)}pass" in lines
