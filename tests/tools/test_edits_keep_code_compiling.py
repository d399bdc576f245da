"""One rule for every edit tool: a Python file that compiles is never written in a state that does not.

Stated as a property over generated breakages: whichever tool the model picks (replace_in_file,
write_file, rewrite_function), the file on disk is byte-for-byte what it was, and the error names the
line. A file that already did not compile may still be written: that is how it gets repaired.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smallcoder.errors import ToolError
from smallcoder.tools.base import ToolContext
from smallcoder.tools.definition import rewrite_function
from smallcoder.tools.edit import replace_in_file
from smallcoder.tools.files import write_file

GOOD = "def area(w, h):\n    return w * h\n\n\ndef perimeter(w, h):\n    return 2 * (w + h)\n"
# Ways small models break a function body: an unclosed bracket, a stray colon, a dedent mid-body, a keyword.
BREAKS = ["return (w * h", "return w * h:", "return w *", "  return w * h\n return 0", "return = w * h"]


def _tools(body: str) -> dict[str, object]:
    new_def = f"def area(w, h):\n    {body}\n"
    return {
        "replace_in_file": lambda ctx: replace_in_file(ctx, "shapes.py", "return w * h", body),
        "write_file": lambda ctx: write_file(ctx, "shapes.py", GOOD.replace("return w * h", body)),
        "rewrite_function": lambda ctx: rewrite_function(ctx, "shapes.py", new_def),
    }


@settings(max_examples=30, deadline=None)
@given(tool=st.sampled_from(["replace_in_file", "write_file", "rewrite_function"]), body=st.sampled_from(BREAKS))
def test_no_edit_tool_turns_compiling_python_into_broken_python(tmp_path_factory, tool, body):
    root = tmp_path_factory.mktemp("repo")
    (root / "shapes.py").write_text(GOOD)
    ctx = ToolContext(root=root)
    try:
        out = _tools(body)[tool](ctx)
    except ToolError as exc:
        # rewrite_function parses the new definition first and says so; the others quote the file as it would be
        assert ("would no longer compile" in str(exc) or "does not parse" in str(exc)) and "line " in str(exc)
    else:
        pytest.fail(f"{tool} accepted a breaking edit: {out}")
    assert (root / "shapes.py").read_text() == GOOD


def test_a_file_that_did_not_compile_can_still_be_repaired_or_rewritten(tmp_path):
    broken = GOOD.replace("return w * h", "return (w * h")
    (tmp_path / "shapes.py").write_text(broken)
    ctx = ToolContext(root=tmp_path)
    out = write_file(ctx, "shapes.py", broken + "\n# still being fixed\n")
    assert "did not before this change either" in out
    replace_in_file(ctx, "shapes.py", "return (w * h", "return w * h")
    assert (tmp_path / "shapes.py").read_text().startswith(GOOD)
