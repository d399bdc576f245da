"""The FIM prompt strings, byte for byte as model-formats.md §4 gives them."""

from smallcoder.fim.formats import (
    CODESTRAL,
    QWEN,
    QWEN_TOKENS,
    RepoFile,
    codestral,
    format_for_model,
    psm,
    qwen_file_level,
    qwen_repo_level,
    spm,
    strip_special,
)


def test_qwen_file_level_psm():
    assert qwen_file_level("def f(", "\n    return x\n") == (
        "<|fim_prefix|>def f(<|fim_suffix|>\n    return x\n<|fim_middle|>"
    )


def test_spm_order_is_suffix_prefix_middle():
    assert spm("P", "S", QWEN_TOKENS) == "<|fim_suffix|>S<|fim_prefix|>P<|fim_middle|>"
    assert psm("P", "S", QWEN_TOKENS) == "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"


def test_qwen_repo_level_layout():
    got = qwen_repo_level(
        "import a\n", "\n", repo_name="proj", path="src/b.py",
        files=[RepoFile("src/a.py", "X = 1\n"), RepoFile("README", "hello")],
    )
    assert got == (
        "<|repo_name|>proj\n"
        "<|file_sep|>src/a.py\nX = 1\n"
        "<|file_sep|>README\nhello\n"
        "<|file_sep|>src/b.py\n"
        "<|fim_prefix|>import a\n<|fim_suffix|>\n<|fim_middle|>"
    )


def test_codestral_suffix_first_with_space_after_prefix_token():
    assert codestral("def f(", "):\n") == "[SUFFIX]):\n[PREFIX] def f("
    assert CODESTRAL.render("a", "b", files=[RepoFile("x.py", "y")]) == "[SUFFIX]b[PREFIX] x.py\ny\na"


def test_format_render_falls_back_to_file_level_without_path_or_files():
    assert QWEN.render("a", "b") == qwen_file_level("a", "b")
    assert QWEN.render("a", "b", path="m.py", repo_name="r").startswith("<|repo_name|>r\n<|file_sep|>m.py\n")


def test_format_chosen_from_vocab_before_name():
    vocab = ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|repo_name|>", "<|file_sep|>"]
    assert format_for_model("some-instruct-model", vocab) is QWEN
    assert format_for_model("x", vocab[:3]).repo_level is False
    assert format_for_model("x", ["[PREFIX]", "[SUFFIX]"]) is CODESTRAL
    assert format_for_model("Qwen2.5-Coder-0.5B-Instruct") is QWEN
    assert format_for_model("Qwen3-Coder-30B-A3B") is QWEN
    assert format_for_model("codestral-22b") is CODESTRAL
    assert format_for_model("Devstral-Small-2505") is None
    assert format_for_model("llama-3-8b", ["<s>", "</s>"]) is None


def test_strip_special_cuts_at_first_special_token():
    assert strip_special("x + 1<|file_sep|>other.py\n", QWEN) == "x + 1"
    assert strip_special("y)<|endoftext|>", QWEN) == "y)"
    assert strip_special("plain", QWEN) == "plain"
    assert strip_special("z</s>", CODESTRAL) == "z"


def test_typed_line_goes_after_the_middle_token_so_keystrokes_only_change_the_tail():
    prefix, suffix = "def f(x):\n    y = x +", "\n    return y\n"
    got = QWEN.render(prefix, suffix, path="m.py", repo_name="r", typed_line_last=True)
    assert got.endswith("<|fim_prefix|>def f(x):\n<|fim_suffix|>\n    return y\n<|fim_middle|>    y = x +")
    one_more = QWEN.render(prefix + " 1", suffix, path="m.py", repo_name="r", typed_line_last=True)
    assert one_more == got + " 1"  # the next keystroke only appends
    # a cursor on a blank or indentation-only line has typed nothing: the prefix keeps its indentation
    assert QWEN.render("def f(x):\n    ", suffix, typed_line_last=True) == qwen_file_level("def f(x):\n    ", suffix)
    # Codestral's prompt ends with the prefix already
    assert CODESTRAL.render(prefix, suffix, typed_line_last=True) == CODESTRAL.render(prefix, suffix)
