from smallcoder.protocol import parse_tool_calls
from smallcoder.types import ToolCall


def names(result):
    return [(c.name, c.arguments) for c in result.calls]


def test_mistral_v11_keeps_call_id(tools):
    result = parse_tool_calls('[TOOL_CALLS]read_file[CALL_ID]Ab3dE6gh9[ARGS]{"path": "a.py"}', tools, "mistral")
    assert result.calls[0].id == "Ab3dE6gh9" and result.dialect == "mistral"


def test_mistral_chained_without_second_marker(tools):
    text = '[TOOL_CALLS]read_file[ARGS]{"path": "a.py"}read_file[ARGS]{"path": "b.py"}'
    assert names(parse_tool_calls(text, tools)) == [("read_file", {"path": "a.py"}), ("read_file", {"path": "b.py"})]


def test_mistral_name_without_args_marker(tools):
    assert names(parse_tool_calls('[TOOL_CALLS]search{"pattern": "x"}', tools)) == [("search", {"pattern": "x"})]


def test_mistral_arguments_with_a_name_key_stay_arguments(tools):
    # The arguments object of a v13 call is never re-read as a call shape.
    result = parse_tool_calls('[TOOL_CALLS]write_file[ARGS]{"path": "p.json", "content": "{}", "name": "x"}', tools)
    assert result.errors == ["write_file: unknown argument 'name'; valid arguments: path, content"]


def test_mistral_marker_then_prose_is_an_error(tools):
    result = parse_tool_calls("[TOOL_CALLS] I think we should read the file first.", tools)
    assert result.calls == [] and len(result.errors) == 1


def test_lmstudio_bad_json(tools):
    result = parse_tool_calls("[TOOL_REQUEST]not json[END_TOOL_REQUEST]", tools)
    assert result.errors == ["expected a JSON object after [TOOL_REQUEST]"]


def test_fenced_python_call(tools):
    result = parse_tool_calls('```tool_code\nsearch("TODO", path="src")\n```', tools)
    assert names(result) == [("search", {"pattern": "TODO", "path": "src"})] and result.dialect == "fenced_json"


def test_python_block_with_ordinary_code_is_not_a_call(tools):
    result = parse_tool_calls("```python\ndef add(a, b):\n    return a + b\n```", tools)
    assert result.calls == [] and result.errors == [] and result.dialect is None


def test_bare_json_prefers_outer_object(tools):
    text = '{"function": {"name": "read_file", "arguments": {"path": "a.py"}}}'
    assert names(parse_tool_calls(text, tools)) == [("read_file", {"path": "a.py"})]


def test_native_calls_are_validated_and_coerced(tools):
    native = [ToolCall("read_file", {"path": "a.py", "start_line": "2"}, id="call_1"), ToolCall("nope", {})]
    result = parse_tool_calls("<think>x</think>Reading.", tools, native_calls=native)
    assert result.dialect == "native" and result.content == "Reading."
    assert names(result) == [("read_file", {"path": "a.py", "start_line": 2})] and result.calls[0].id == "call_1"
    assert result.errors[0].startswith("unknown tool 'nope'")


def test_native_arguments_as_json_string(tools):
    result = parse_tool_calls("", tools, native_calls=[ToolCall("search", '{"pattern": "x"}')])  # type: ignore[arg-type]
    assert names(result) == [("search", {"pattern": "x"})]


def test_given_dialect_is_only_a_preference(tools):
    result = parse_tool_calls('[TOOL_CALLS]run_tests[ARGS]{}', tools, "qwen3_xml")
    assert result.dialect == "mistral" and names(result) == [("run_tests", {})]


def test_nothing_found(tools):
    result = parse_tool_calls("  All done.  ", tools, "hermes")
    assert (result.content, result.calls, result.errors, result.dialect) == ("All done.", [], [], None)


def test_non_string_input_does_not_raise(tools):
    assert parse_tool_calls(None, tools).calls == []  # type: ignore[arg-type]
