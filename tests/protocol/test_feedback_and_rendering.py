import json

import pytest

from smallcoder.protocol import (
    ParseResult,
    dialect_for_model,
    format_error_message,
    parse_tool_calls,
    render_assistant_history,
    render_tool_calls,
    render_tool_instructions,
)
from smallcoder.types import ToolCall


def test_error_message_names_the_problem_and_shows_the_tool_tried(tools):
    result = parse_tool_calls('<tool_call>\n{"name": "replace_in_file", "arguments": {"path": "a.py"}}\n</tool_call>', tools)
    message = format_error_message(result, tools, "hermes")
    assert "replace_in_file: missing required argument 'old'" in message
    assert '{"name": "replace_in_file", "arguments": {"path": "src/app.py", "old": "return a - b", "new": "return a + b"}}' in message
    assert message.count("\n") < 10


def test_error_message_uses_suggested_tool_in_the_models_dialect(tools):
    result = parse_tool_calls("<function=serach>\n<parameter=pattern>\nx\n</parameter>\n</function>", tools)
    message = format_error_message(result, tools, None)
    assert "unknown tool 'serach' (did you mean 'search'?)" in message
    assert "<function=search>\n<parameter=pattern>\ndef parse_args\n</parameter>" in message


def test_no_call_message(tools):
    message = format_error_message(ParseResult(content="I think the bug is in add()."), tools, "mistral")
    assert message.startswith("Your reply contained no tool call.")
    assert '[TOOL_CALLS]read_file[ARGS]{"path": "src/app.py"}' in message
    assert message.endswith("When the task is done, call submit.")


def test_native_dialect_message(tools):
    message = format_error_message(ParseResult(content=""), tools, "native")
    assert 'call the tool `read_file` with arguments {"path": "src/app.py"}' in message


@pytest.mark.parametrize("dialect", ["hermes", "qwen3_xml", "mistral", "fenced_json", "bare_json", "lmstudio"])
def test_instructions_example_parses_back_in_that_dialect(tools, dialect):
    text = render_tool_instructions(tools, dialect)
    assert "- read_file(path: string, start_line?: integer, end_line?: integer)" in text
    assert "- run_tests():" in text
    example = text.rsplit(":\n", 1)[1]
    result = parse_tool_calls(example, tools, dialect)
    assert result.dialect == dialect and [c.name for c in result.calls] == ["read_file"]


def test_instructions_are_compact(tools):
    # The whole fixed prompt should stay near 1,500 tokens; the tool part is a fraction of it.
    assert len(render_tool_instructions(tools, "qwen3_xml")) < 2500


@pytest.mark.parametrize(
    ("name", "template", "dialect"),
    [
        ("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", None, "hermes"),
        ("qwen2", None, "hermes"),
        ("Qwen/Qwen3-Coder-30B-A3B-Instruct", None, "qwen3_xml"),
        ("qwen3-coder:30b", None, "qwen3_xml"),
        ("qwen3moe", None, "hermes"),
        ("qwen3moe", "...<tool_call>\n<function=example>\n<parameter=x>...", "qwen3_xml"),
        ("mistralai/Devstral-Small-2-24B-Instruct-2512", None, "mistral"),
        ("mistral3", None, "mistral"),
        ("llama", "{{ '[TOOL_CALLS]' }}", "mistral"),
        ("gpt2", None, None),
    ],
)
def test_dialect_for_model(name, template, dialect):
    assert dialect_for_model(name, template) == dialect


def test_render_assistant_history():
    calls = [ToolCall("read_file", {"path": "a.py"}, id="abc123XYZ")]
    qwen = render_assistant_history(calls, "qwen3_xml")
    assert qwen == [{"id": "abc123XYZ", "type": "function", "function": {"name": "read_file", "arguments": {"path": "a.py"}}}]
    native = render_assistant_history(calls, "native")
    assert json.loads(native[0]["function"]["arguments"]) == {"path": "a.py"}


def test_render_qwen3_xml_matches_template_layout():
    text = render_tool_calls([ToolCall("read_file", {"path": "a.py", "start_line": 3})], "qwen3_xml")
    assert text == (
        "<tool_call>\n<function=read_file>\n<parameter=path>\na.py\n</parameter>\n"
        "<parameter=start_line>\n3\n</parameter>\n</function>\n</tool_call>"
    )
