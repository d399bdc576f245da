"""replace_in_file: every tolerant-match layer, its errors, and what it preserves."""

from __future__ import annotations

import pytest

from smallcoder.errors import ToolError
from smallcoder.tools.edit import replace_in_file

from .conftest import write

SOURCE = """\
import math


class Circle:
    def __init__(self, r):
        self.r = r

    def area(self):
        return math.pi * self.r * 2

    def name(self):
        return "circle"
"""


@pytest.fixture
def circle(repo):
    return write(repo, "shapes.py", SOURCE)


def test_exact_match(ctx, circle):
    out = replace_in_file(ctx, "shapes.py", "self.r * 2", "self.r ** 2")
    assert circle.read_text() == SOURCE.replace("self.r * 2", "self.r ** 2")
    assert out.startswith("edited shapes.py. Lines 6-12 now:\n")
    assert "   9|         return math.pi * self.r ** 2" in out
    assert "matched" not in out


def test_trailing_whitespace_layer(ctx, circle):
    old = "    def area(self):   \n        return math.pi * self.r * 2  \n"
    new = "    def area(self):\n        return math.pi * self.r ** 2\n"
    out = replace_in_file(ctx, "shapes.py", old, new)
    assert "(matched ignoring trailing whitespace)" in out
    assert circle.read_text() == SOURCE.replace("self.r * 2", "self.r ** 2")


def test_indentation_layer_reindents_new(ctx, circle):
    # The model dropped the class-level indentation from both old and new.
    old = "def area(self):\n    return math.pi * self.r * 2"
    new = "def area(self):\n    # pi r squared\n    return math.pi * self.r ** 2"
    out = replace_in_file(ctx, "shapes.py", old, new)
    assert "(matched ignoring indentation)" in out
    expected = SOURCE.replace(
        "        return math.pi * self.r * 2",
        "        # pi r squared\n        return math.pi * self.r ** 2",
    )
    assert circle.read_text() == expected


def test_indentation_layer_maps_nesting_levels(ctx, repo):
    # The file nests by 4 spaces; the model wrote 2-space nesting inside an 8-space block.
    path = write(repo, "m.py", "def f(x):\n    if x:\n        return 1\n    return 0\n")
    old = "if x:\n  return 1"
    new = "if x:\n  x += 1\n  return x"
    replace_in_file(ctx, "m.py", old, new)
    assert path.read_text() == "def f(x):\n    if x:\n        x += 1\n        return x\n    return 0\n"


def test_indentation_layer_with_deeper_old(ctx, repo):
    path = write(repo, "m.py", "def f():\n    return 1\n")
    replace_in_file(ctx, "m.py", "        def f():\n            return 1", "        def f():\n            return 2")
    assert path.read_text() == "def f():\n    return 2\n"


def test_blank_line_layer(ctx, circle):
    # Blank lines around and inside old differ from the file.
    old = "\n\n    def __init__(self, r):\n        self.r = r\n    def area(self):\n\n"
    new = "\n\n    def __init__(self, r):\n        self.r = float(r)\n\n    def area(self):\n\n"
    out = replace_in_file(ctx, "shapes.py", old, new)
    assert "(matched ignoring blank lines)" in out
    assert circle.read_text() == SOURCE.replace("self.r = r", "self.r = float(r)")


def test_line_numbers_copied_from_read_file_are_tolerated(ctx, circle):
    old = "   8|     def area(self):\n   9|         return math.pi * self.r * 2"
    new = "   8|     def area(self):\n   9|         return math.pi * self.r ** 2"
    out = replace_in_file(ctx, "shapes.py", old, new)
    assert "after removing line numbers" in out
    assert circle.read_text() == SOURCE.replace("self.r * 2", "self.r ** 2")


def test_not_found_shows_closest_region(ctx, circle):
    old = "    def area(self):\n        return math.pi * self.radius * 2\n"
    with pytest.raises(ToolError) as info:
        replace_in_file(ctx, "shapes.py", old, "x")
    msg = str(info.value)
    assert msg.startswith("old text not found in shapes.py. Did you mean lines 8-9?\n")
    assert "   8|     def area(self):\n   9|         return math.pi * self.r * 2" in msg
    assert "write_file" in msg
    assert circle.read_text() == SOURCE


def test_not_found_without_anything_similar(ctx, circle):
    with pytest.raises(ToolError, match="nor anything similar; read_file shapes.py"):
        replace_in_file(ctx, "shapes.py", "zzzzqqqq wwww", "x")


def test_ambiguous_exact_match_lists_lines(ctx, repo):
    write(repo, "d.py", "x = 1\ny = 2\nx = 1\n")
    with pytest.raises(ToolError, match=r"old matches 2 places in d.py \(lines 1, 3\); include more surrounding lines"):
        replace_in_file(ctx, "d.py", "x = 1", "x = 3")


def test_ambiguous_tolerant_match_lists_lines(ctx, repo):
    write(repo, "d.py", "def a():\n    pass\n\ndef b():\n        pass\n")
    # Not in the file as written (trailing spaces); the indentation layer then finds two places.
    with pytest.raises(ToolError, match=r"old matches 2 places in d.py \(lines 2, 5\)"):
        replace_in_file(ctx, "d.py", "pass   ", "return 1")


def test_overlapping_matches_on_one_line(ctx, repo):
    write(repo, "o.txt", "aaa\n")
    with pytest.raises(ToolError, match=r"old matches 2 places in o.txt \(line 1\)"):
        replace_in_file(ctx, "o.txt", "aa", "b")


def test_same_and_empty_old_refused(ctx, circle):
    with pytest.raises(ToolError, match="identical"):
        replace_in_file(ctx, "shapes.py", "import math", "import math")
    with pytest.raises(ToolError, match="old is empty; to create or rewrite a whole file use write_file"):
        replace_in_file(ctx, "shapes.py", "", "x")
    with pytest.raises(ToolError, match="does not exist; use write_file"):
        replace_in_file(ctx, "missing.py", "a", "b")


def test_crlf_and_final_newline_preserved(ctx, repo):
    path = write(repo, "w.py", "a = 1\r\nb = 2\r\nc = 3\r\n")
    replace_in_file(ctx, "w.py", "b = 2\n", "b = 20\nbb = 21\n")
    assert path.read_bytes() == b"a = 1\r\nb = 20\r\nbb = 21\r\nc = 3\r\n"
    # old swallowing the final newline does not remove it
    replace_in_file(ctx, "w.py", "c = 3\n", "c = 30")
    assert path.read_bytes() == b"a = 1\r\nb = 20\r\nbb = 21\r\nc = 30\r\n"


def test_no_final_newline_stays_absent(ctx, repo):
    path = write(repo, "n.txt", "one\n  two")
    replace_in_file(ctx, "n.txt", "two", "2")
    assert path.read_bytes() == b"one\n  2"
    replace_in_file(ctx, "n.txt", "    2", "    3")  # indentation layer, last line
    assert path.read_bytes() == b"one\n  3"


def test_bom_preserved(ctx, repo):
    path = write(repo, "b.txt", "\ufeffhello\n")
    replace_in_file(ctx, "b.txt", "hello", "bye")
    assert path.read_bytes() == "\ufeffbye\n".encode()


def test_an_edit_that_breaks_compiling_is_refused_quoting_the_line(ctx, circle):
    with pytest.raises(ToolError) as exc:
        replace_in_file(ctx, "shapes.py", "def name(self):", "def name(self:")
    assert circle.read_text() == SOURCE  # not applied
    message = str(exc.value)
    assert message.startswith("the edit was not applied: shapes.py would no longer compile: SyntaxError")
    assert "  11|     def name(self:" in message and "(line 11)" in message


def test_a_file_that_did_not_compile_before_is_edited_with_a_warning(ctx, repo):
    path = write(repo, "m.py", "def f(:\n    return 1\n")
    out = replace_in_file(ctx, "m.py", "return 1", "return 2")
    assert "return 2" in path.read_text()
    assert "does not compile (it did not before this change either)" in out


def test_no_warning_for_non_python_or_valid_edit(ctx, repo, circle):
    write(repo, "notes.txt", "def f(:\n")
    assert "WARNING" not in replace_in_file(ctx, "notes.txt", "f(:", "g(:")
    assert "WARNING" not in replace_in_file(ctx, "shapes.py", '"circle"', '"round"')


def test_binary_file_refused(ctx, repo):
    write(repo, "x.bin", b"ab\x00cd")
    with pytest.raises(ToolError, match="binary"):
        replace_in_file(ctx, "x.bin", "ab", "ba")


def test_deleting_text(ctx, circle):
    out = replace_in_file(ctx, "shapes.py", "    def name(self):\n        return \"circle\"\n", "")
    assert circle.read_text() == SOURCE[: SOURCE.index("    def name")]
    assert "Lines" in out
