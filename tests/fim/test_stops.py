"""Stop rules: what of a raw middle reaches the editor."""

from smallcoder.fim.formats import QWEN
from smallcoder.fim.stops import StopRules, cut, finish


def rules(prefix: str, suffix: str, **kw) -> StopRules:
    return StopRules.at(prefix, suffix, **kw)


def test_mid_line_gives_one_line_and_drops_the_repeated_closer():
    r = rules("x = max(", ")\nprint(x)\n")
    assert r.single_line
    text, ended = cut("a, b)\ny = 2\n", r, QWEN)
    assert (text, ended) == ("a, b", True)


def test_partial_single_line_is_not_ended_yet():
    text, ended = cut("a, b", rules("x = max(", ")\n"), QWEN)
    assert ended is False and text == "a, b"


def test_block_ends_at_dedent():
    r = rules("def f(x):\n    ", "\n\ndef g():\n    pass\n")
    raw = "y = x + 1\n    return y\n\nprint(f(2))\n"
    text, ended = cut(raw, r, QWEN)
    assert ended and text == "y = x + 1\n    return y"


def test_line_equal_to_suffix_first_line_ends_the_middle():
    r = rules("def f(x):\n    y = 1\n    ", "\n    return y\n")
    text, ended = cut("y += x\n    return y\n", r, QWEN)
    assert ended and text == "y += x"


def test_special_token_ends_and_is_never_shown():
    r = rules("def f(x):\n    ", "\n")
    text, ended = cut("return x<|file_sep|>b.py\n", r, QWEN)
    assert ended and text == "return x"


def test_after_block_opener_body_is_kept_until_dedent():
    r = rules("def f(x):", "\n")
    assert finish("\n    return x\n\ndef g():\n    pass\n", r, QWEN) == "\n    return x"


def test_line_limit():
    r = rules("", "", max_lines=3)
    assert finish("a\nb\nc\nd\ne\n", r, QWEN) == "a\nb\nc"


def test_trailing_blank_lines_removed():
    assert finish("a = 1\n\n\n", rules("", ""), QWEN) == "a = 1"


def test_after_code_that_opens_no_block_one_line():
    r = rules("def f(v):\n    m = ", "\n    return m\n")
    assert r.single_line
    assert finish("mean(v)\n    s = 2\n    return m, s\n", r, QWEN) == "mean(v)"
    assert not rules("if x:", "\n").single_line and not rules("    ", "\n").single_line


def test_at_a_line_start_the_middles_first_line_sets_the_block():
    # the LSP asks from a line's start when only the editor's indent is left of the cursor: the middle
    # brings its own indent, and a line indented less than its first line ends it
    r = rules("def f(x, y):\n    if x:\n        return 1\n", "\n")
    raw = "    elif y:\n        return 2\n    else:\n        return 3\nprint(f(1, 2))\n"
    assert finish(raw, r, QWEN) == "    elif y:\n        return 2\n    else:\n        return 3"
    assert cut("        total += r\n    return total\n", rules("    for r in radii:\n", "\n"), QWEN) == ("        total += r", True)
    assert cut("  ", r, QWEN) == ("  ", False)  # an indent still being written sets nothing yet
