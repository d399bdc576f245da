from smallcoder.protocol import parse_tool_calls


def args_of(text, tools, **kw):
    result = parse_tool_calls(text, tools, "qwen3_xml", **kw)
    assert result.errors == [], result.errors
    assert result.dialect == "qwen3_xml"
    return [(c.name, c.arguments) for c in result.calls]


def test_values_keep_inner_whitespace_and_strip_one_newline(tools):
    text = "<tool_call>\n<function=write_file>\n<parameter=path>\na.py\n</parameter>\n<parameter=content>\n\n  x = 1\n\n</parameter>\n</function>\n</tool_call>"
    assert args_of(text, tools) == [("write_file", {"path": "a.py", "content": "\n  x = 1\n"})]


def test_value_on_one_line(tools):
    text = "<function=read_file><parameter=path>a.py</parameter></function>"
    assert args_of(text, tools) == [("read_file", {"path": "a.py"})]


def test_every_closing_tag_missing(tools):
    text = "<function=replace_in_file>\n<parameter=path>\na.py\n<parameter=old>\nx < y && z\n<parameter=new>\nx <= y and z"
    assert args_of(text, tools) == [("replace_in_file", {"path": "a.py", "old": "x < y && z", "new": "x <= y and z"})]


def test_content_is_text_before_the_call(tools):
    result = parse_tool_calls("Reading it.\n\n<tool_call>\n<function=run_tests>\n</function>\n</tool_call>", tools)
    assert result.content == "Reading it." and result.dialect == "qwen3_xml"


def test_text_after_the_call_is_ignored(tools):
    text = "<tool_call>\n<function=run_tests>\n</function>\n</tool_call>\nDone! Let me know."
    assert args_of(text, tools) == [("run_tests", {})]


def test_wrapper_with_calls_in_separate_blocks_and_missing_end(tools):
    text = (
        "<tool_call>\n<function=read_file>\n<parameter=path>\na.py\n</parameter>\n</function>\n"
        "<tool_call>\n<function=read_file>\n<parameter=path>\nb.py\n</parameter>\n</function>\n</tool_call>"
    )
    assert args_of(text, tools) == [("read_file", {"path": "a.py"}), ("read_file", {"path": "b.py"})]


def test_unknown_parameter_and_missing_required_are_reported(tools):
    text = "<function=read_file>\n<parameter=file>\na.py\n</parameter>\n</function>"
    result = parse_tool_calls(text, tools)
    assert result.calls == []
    assert result.errors == [
        "read_file: unknown argument 'file' (did you mean 'path'?); missing required argument 'path'; "
        "valid arguments: path, start_line?, end_line?"
    ]


def test_nameless_parameter_fills_the_next_missing_one(tools):
    text = "<function=write_file>\n<parameter=path>\nh.py\n</parameter>\n<parameter>print(1)</parameter>\n</function>"
    assert args_of(text, tools) == [("write_file", {"path": "h.py", "content": "print(1)"})]


def test_parameter_names_without_values_are_not_values(tools):
    text = "<function=replace_in_file>\n<parameter=path>\na.py\n</parameter>\n<parameter>old</parameter>\n<parameter>new</parameter>\n</function>"
    result = parse_tool_calls(text, tools)
    assert result.calls == [] and "missing required argument 'old'" in result.errors[0]


def test_integer_text_that_is_not_a_number(tools):
    text = "<function=read_file>\n<parameter=path>\na.py\n</parameter>\n<parameter=start_line>\nthe top\n</parameter>\n</function>"
    result = parse_tool_calls(text, tools)
    assert result.errors == ["read_file: argument 'start_line' must be an integer, got 'the top'"]
