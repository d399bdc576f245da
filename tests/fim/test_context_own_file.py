"""Context from the current file itself when it is longer than the prefix/suffix window: definitions
outside the window come first, long ones as headers, and the whole stays inside the token budget."""

from pathlib import Path

from smallcoder.fim.context import ContextGatherer, EditorState, window_span
from smallcoder.fim.engine import FimOptions, window

OPTS = FimOptions(prefix_lines=8, suffix_lines=2)


def count(text: str) -> int:
    return len(text) // 4 + 1


def long_module() -> str:
    """A file whose helpers sit far above the function being written (line 60 on)."""
    helper = "def _less_uses_raw_mode(env, params):\n    \"\"\"Whether less shows colours.\"\"\"\n    return 'R' in env\n"
    big = "def render_progress(bar, out):\n" + "".join(f"    step_{i} = bar.advance({i})\n" for i in range(20))
    filler = "".join(f"CONSTANT_{i} = {i}\n" for i in range(30))
    body = ("\n\ndef page(text, env, params):\n    lines = text.split()\n    count = len(lines)\n"
            "    if count > 10:\n        mode = 'long'\n    else:\n        mode = 'short'\n"
            "    bar = object()\n    render_progress(bar, None)\n    ")
    return helper + "\n\n" + big + "\n\n" + filler + body + "\n    return mode\n"


def state_at_end(text: str, path: str = "pager.py", root: Path | None = None) -> EditorState:
    lines = text.split("\n")
    line = len(lines) - 3  # the line after `render_progress(bar, None)`
    return EditorState(path, text, line, 4, root=root)


def gathered(state: EditorState, budget: int = 400) -> list:
    prefix, suffix = window(state, OPTS)
    return ContextGatherer().gather(state, window=prefix + suffix, budget_tokens=budget, count=count)


def test_window_span_finds_the_lines_the_prompt_carries():
    text = long_module()
    state = state_at_end(text)
    prefix, suffix = window(state, OPTS)
    first, last = window_span(state, prefix + suffix)
    lines = text.split("\n")
    assert "\n".join(lines[first:last + 1]) == prefix + suffix
    assert window_span(state, "not a window of this text") is None


def test_a_definition_far_above_the_window_is_sent_from_the_current_file():
    state = state_at_end(long_module())
    prefix, suffix = window(state, OPTS)
    assert "_less_uses_raw_mode" not in prefix + suffix
    files = gathered(state)
    own = [f for f in files if f.path == "pager.py"]
    assert len(own) == 1  # one outline of the file, not a path line per piece
    assert "def _less_uses_raw_mode(env, params):" in own[0].text  # not named in the window: its header


def test_a_long_definition_used_at_the_cursor_is_sent_as_its_header():
    files = gathered(state_at_end(long_module()))
    text = "\n".join(f.text for f in files)
    assert "def render_progress(bar, out):" in text
    assert "step_19" not in text and "step_0" not in text  # the body stays home
    assert "def page(text, env, params):" not in text  # in the window already


def test_the_current_file_ranks_ahead_of_other_files(tmp_path):
    text = long_module()
    # another file defines a name used right at the cursor too (`bar`); the current file's comes first
    (tmp_path / "other.py").write_text("def bar():\n    return 1\n")
    (tmp_path / "pager.py").write_text(text)
    state = state_at_end(text, root=tmp_path)
    files = gathered(state, budget=24)  # room for one short snippet only
    assert [f.path for f in files] == ["pager.py"]
    assert "def render_progress(bar, out):" in files[0].text
    assert "other.py" in [f.path for f in gathered(state, budget=400)]  # it is a candidate, ranked after


def test_other_files_long_definitions_are_headers_too(tmp_path):
    (tmp_path / "lib.py").write_text("def crunch(data):\n" + "".join(f"    data = data + {i}\n" for i in range(25))
                                     + "    return data\n")
    text = "from lib import crunch\n\n\ndef run(d):\n    return crunch(d)\n"
    state = EditorState("app.py", text, 4, 4, root=tmp_path)
    files = ContextGatherer().gather(state, window=text, budget_tokens=400, count=count)
    lib = "\n".join(f.text for f in files if f.path == "lib.py")
    assert lib.startswith("def crunch(data):") and "data + 3" not in lib


def test_nothing_from_the_current_file_when_it_fits_the_window():
    text = "def helper():\n    return 1\n\n\ndef main():\n    x = helper()\n    "
    state = EditorState("small.py", text, 6, 4)
    prefix, suffix = window(state, FimOptions())
    files = ContextGatherer().gather(state, window=prefix + suffix, budget_tokens=400, count=count)
    assert files == []


def test_the_budget_holds_with_the_current_file_outline():
    text = long_module() + "".join(f"\n\ndef extra_{i}(a, b):\n    return a + b + {i}\n" for i in range(200))
    state = state_at_end(long_module())
    state = EditorState(state.path, text, state.line, state.col)
    for budget in (30, 120, 500):
        files = gathered(state, budget=budget)
        assert sum(count(f"{f.path}\n{f.text}\n") + 2 for f in files) <= budget
    assert "def extra_0(a, b):" in "\n".join(f.text for f in gathered(state, budget=500))
