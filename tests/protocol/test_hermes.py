import pytest

from smallcoder.protocol import parse_tool_calls


def test_unterminated_second_call_and_content(tools):
    text = 'Plan.\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a.py"}}\n</tool_call>\n<tool_call>\n{"name": "run_tests", "arguments": {}}'
    result = parse_tool_calls(text, tools, "hermes")
    assert [(c.name, c.arguments) for c in result.calls] == [("read_file", {"path": "a.py"}), ("run_tests", {})]
    assert result.content == "Plan." and result.dialect == "hermes" and result.errors == []


def test_broken_call_keeps_the_good_one(tools):
    text = '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.py"}}\n</tool_call>\n<tool_call>\n{"name": "search", "arguments": {"pattern": @@}}\n</tool_call>'
    result = parse_tool_calls(text, tools, "hermes")
    assert [c.name for c in result.calls] == ["read_file"]
    assert len(result.errors) == 1 and result.errors[0].startswith("search: the JSON after <tool_call> is invalid")


def test_xml_inside_tool_call_goes_to_the_xml_parser(tools):
    text = "<tool_call>\n<function=run_tests>\n</function>\n</tool_call>"
    result = parse_tool_calls(text, tools, "hermes")
    assert result.dialect == "qwen3_xml" and [c.name for c in result.calls] == ["run_tests"]


def test_empty_block_is_an_error(tools):
    result = parse_tool_calls("<tool_call>\n</tool_call>", tools, "hermes")
    assert result.errors == ["the <tool_call> block is empty"]


def test_no_name(tools):
    result = parse_tool_calls('<tool_call>\n{"arguments": {"path": "a.py"}}\n</tool_call>', tools)
    assert result.errors == ['a tool call has no tool name (expected {"name": "<tool>", "arguments": {…}})']


def test_arguments_not_an_object(tools):
    result = parse_tool_calls('<tool_call>\n{"name": "read_file", "arguments": ["a.py"]}\n</tool_call>', tools)
    assert result.errors == ["read_file: arguments must be a JSON object, got list"]


def test_unknown_tool_suggests_nearest(tools):
    result = parse_tool_calls('<tool_call>\n{"name": "read_files", "arguments": {"path": "a"}}\n</tool_call>', tools)
    assert result.errors[0].startswith("unknown tool 'read_files' (did you mean 'read_file'?). Available tools: list_files")


def test_ids_are_kept_or_made_deterministic(tools):
    text = '<tool_call>\n{"name": "run_tests", "arguments": {}, "id": "abc"}\n</tool_call><tool_call>\n{"name": "run_tests", "arguments": {}}\n</tool_call>'
    first = parse_tool_calls(text, tools)
    again = parse_tool_calls(text, tools)
    assert first.calls[0].id == "abc"
    assert first.calls[1].id == again.calls[1].id and len(first.calls[1].id) == 9 and first.calls[1].id.isalnum()


def test_no_tools_accepts_any_call():
    result = parse_tool_calls('<tool_call>\n{"name": "anything", "arguments": {"x": "1"}}\n</tool_call>', [])
    assert [(c.name, c.arguments) for c in result.calls] == [("anything", {"x": "1"})]


def test_call_inside_thinking_is_never_used_and_the_model_is_told(tools):
    # Reasoning is not the answer (issue 12): a call drafted there is not run, even when nothing else is.
    text = '<think>I will call <tool_call>\n{"name": "run_tests", "arguments": {}}\n</tool_call></think>'
    result = parse_tool_calls(text, tools)
    assert result.calls == [] and result.content == ""
    assert len(result.errors) == 1 and "inside your reasoning" in result.errors[0]


@pytest.mark.parametrize("tag", ["tools", "tool", "toolcall", "tool_calls", "function_call"])
def test_a_call_in_a_misnamed_wrapper_reads_as_a_tool_call(tools, tag):
    # Qwen2.5's template lists the tools inside <tools></tools>; Qwen2.5-Coder-1.5B wrapped its call in
    # that, with a regex's \d (not a JSON escape) in a string, on a real repository.
    body = '{"name": "write_file", "arguments": {"path": "k.py", "content": "R = r\'(?<!\\d)x\'"}}'
    text = f"### Fix\n<{tag}>\n{body}\n</{tag}>\nDone."
    result = parse_tool_calls(text, tools, "hermes")
    right = parse_tool_calls(f"### Fix\n<tool_call>\n{body}\n</tool_call>\nDone.", tools, "hermes")
    assert [(c.name, c.arguments) for c in result.calls] == [(c.name, c.arguments) for c in right.calls] == [
        ("write_file", {"path": "k.py", "content": "R = r'(?<!\\d)x'"})]
    assert result.content == right.content == "### Fix" and result.errors == []
