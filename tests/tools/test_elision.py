"""Code that leaves parts out is never written: every edit tool refuses it and says which line gave it away.

The reply that motivated it is real: Qwen2.5-Coder-1.5B on tomli answered with `def load(...)` whose
body was `# ... (existing code)` around the lines it changed.
"""

import pytest

from smallcoder.agent.salvage import edit_from_code_block
from smallcoder.errors import ToolError
from smallcoder.tools.base import ToolContext
from smallcoder.tools.definition import rewrite_function
from smallcoder.tools.edit import replace_in_file
from smallcoder.tools.elision import elided_lines
from smallcoder.tools.files import write_file

SOURCE = '''import math


def load(fp, parse_float=float):
    text = fp.read()
    data = parse(text, parse_float)
    check(data)
    return data


def parse(text, parse_float):
    return {"x": parse_float(text)}
'''

ELIDED = [
    "# ... (existing code)", "    # ...", "# …", "// ...", "/* ... */", "# ... existing code ...",
    "# ...(rest of the method)", "# rest of the code", "# Rest of the function unchanged", "# existing code here",
    "# other methods unchanged", "    ...", "# existing code ...", "# (existing implementation)", "<!-- ... -->",
]
KEPT = [
    "# TODO: handle more cases...", "# compute the total", "# the existing code relies on this order",
    "x = 1  # ...", "print('...')", "# wait...", "# see the other branch", "# ...and then return",
    "# rest api client", "return ...", "def f(self): ...", "# Other code paths call this too",
]


@pytest.mark.parametrize("line", ELIDED)
def test_lines_that_stand_in_for_code_are_found(line):
    assert elided_lines(f"def f():\n{line}\n    return 1\n", "") == [(2, line.strip())]


@pytest.mark.parametrize("line", KEPT)
def test_ordinary_comments_and_code_are_not(line):
    assert elided_lines(f"def f():\n{line}\n", "") == []


def test_a_line_the_file_already_had_is_code_like_any_other_and_a_new_file_is_not_checked():
    stub = "class P(Protocol):\n    def f(self) -> int:\n        ...\n"
    assert elided_lines(stub, stub) == []
    assert elided_lines(stub + "    def g(self) -> int:\n        ...\n", stub) == []
    assert elided_lines("# ...\n", None) == []  # a new file has nothing to leave out
    assert elided_lines("def f():\n    ...\n", "def f():\n    return 1\n") == [(2, "...")]
    assert elided_lines("a: 1\n...\n", "a: 0\n", python=False) == []  # YAML's document end is no elision
    assert elided_lines("a: 1\n# ...\n", "a: 0\n", python=False) == [(2, "# ...")]


@pytest.fixture
def ctx(tmp_path):
    (tmp_path / "parser.py").write_text(SOURCE)
    return ToolContext(root=tmp_path)


LAZY = '''def load(fp, parse_float=float):
    # ... (existing code)
    data = parse(text, parse_float)
    if not isinstance(data, dict):
        raise ValueError("bad")
    # rest of the function unchanged
'''


def test_rewrite_function_refuses_and_the_file_stays_as_it_was(ctx):
    with pytest.raises(ToolError, match=r"leaves parts out — line 2 of it is `# \.\.\. \(existing code\)` \(and 1 "
                                        r"more such line\)"):
        rewrite_function(ctx, "parser.py", LAZY)
    assert (ctx.root / "parser.py").read_text() == SOURCE


def test_write_file_and_replace_in_file_refuse_too(ctx):
    with pytest.raises(ToolError, match="write_file was not applied: your code leaves parts out.*complete file"):
        write_file(ctx, "parser.py", "import math\n\n# ... rest of the file unchanged\n")
    with pytest.raises(ToolError, match="the edit was not applied.*line 2 of it is `# ...`"):
        replace_in_file(ctx, "parser.py", "    text = fp.read()\n    data = parse(text, parse_float)\n",
                        "    text = fp.read().strip()\n    # ...\n")
    assert (ctx.root / "parser.py").read_text() == SOURCE
    write_file(ctx, "new.py", "# ...\nx = 1\n")  # a new file: nothing to lose
    assert (ctx.root / "new.py").read_text() == "# ...\nx = 1\n"


def test_a_lazy_block_that_does_not_parse_still_reaches_the_tool_which_says_why(ctx):
    # the model's block: an `if` whose whole body is a stand-in comment does not parse
    reply = ("Here's the updated code:\n```python\n# parser.py\ndef load(fp, parse_float=float):\n"
             "    # ... (existing code)\n    if data is None:\n        # ... (existing code)\n    return data\n```\n")
    call = edit_from_code_block(reply, ctx.root)
    assert call is not None and call.name == "rewrite_function" and call.arguments["path"] == "parser.py"
    with pytest.raises(ToolError, match="leaves parts out"):
        rewrite_function(ctx, **call.arguments)
    # a block that does not parse and opens no known definition stays prose
    assert edit_from_code_block("```python\nfor x in:\n```", ctx.root) is None
    assert edit_from_code_block("```python\ndef nowhere(:\n```", ctx.root) is None
