"""Class: Devstral with its control tokens stripped by the server.

A server that decodes without special tokens drops [TOOL_CALLS] and [ARGS], and the call ends up glued to
the prose on the same line: `…first.read_file{"path": …}`. It is still a call of a known tool.
"""

import pytest

from smallcoder.protocol import parse_tool_calls
from smallcoder.tools import default_tools, tool_specs

TOOLS = tool_specs(default_tools())


def calls(text: str, dialect: str | None) -> list[tuple[str, dict]]:
    result = parse_tool_calls(text, TOOLS, dialect)
    assert result.errors == [], result.errors
    return [(c.name, c.arguments) for c in result.calls]


@pytest.mark.parametrize("text", [
    'I need to see the code first.read_file{"path": "stats.py"}',
    'I need to see the code first. read_file{"path": "stats.py"}',
    'I need to see the code first:\nread_file {"path": "stats.py"}',
    'I need to see the code first.read_file[ARGS]{"path": "stats.py"}',
    'I need to see the code first.read_file[CALL_ID]a1B2c3D4e[ARGS]{"path": "stats.py"}',
    'I need to see the code first.read_file{"path": "stats.py"}</s>',
])
@pytest.mark.parametrize("dialect", ["mistral", None])
def test_glued_call_of_a_known_tool(text, dialect):
    assert calls(text, dialect) == [("read_file", {"path": "stats.py"})]


@pytest.mark.parametrize("dialect", ["mistral", None])
def test_several_glued_calls(dialect):
    text = 'Both files.read_file{"path": "a.py"}read_file{"path": "b.py"}'
    assert calls(text, dialect) == [("read_file", {"path": "a.py"}), ("read_file", {"path": "b.py"})]


def test_the_prose_before_the_call_is_the_content():
    result = parse_tool_calls('I need to see the code first.read_file{"path": "stats.py"}', TOOLS, "mistral")
    assert result.content == "I need to see the code first."


@pytest.mark.parametrize("text", [
    'We should xread_file{"path": "a.py"} it',  # the known name only ends a longer word
    'the unknown_tool{"path": "a.py"}',
    'config = {"path": "a.py"}',
])
def test_no_call_without_a_known_tool_name_standing_alone(text):
    assert parse_tool_calls(text, TOOLS, "mistral").calls == []
