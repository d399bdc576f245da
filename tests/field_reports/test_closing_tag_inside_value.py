"""Class: a closing tag inside a value is data, not syntax.

Qwen3-Coder XML values are raw text: an XML fixture with </parameter> lines, a test of a tool-call parser
with an example <tool_call>, a docstring. Hermes JSON strings may hold </tool_call>, also when the JSON needs
lenient repair (raw newlines). Such a value must arrive whole, and nothing inside it may become a call.
(The render → parse round trip over values made of every dialect's tags is in test_values_round_trip.py.)
"""

import json
from pathlib import Path

import pytest

from smallcoder.protocol import parse_tool_calls
from smallcoder.tools import default_tools, tool_specs

DATA = Path(__file__).parent / "data"
TOOLS = tool_specs(default_tools())
FIXTURE_XML = '<request>\n  <parameter name="limit">10</parameter>\n  <parameter name="offset">0</parameter>\n</request>'
MODULE = "CLOSE = '</tool_call>'\nOPEN = '<tool_call>'\n\n\ndef wrap(body):\n    return OPEN + body + CLOSE\n"
EXAMPLE_XML_CALL = "<tool_call>\n<function=read_file>\n<parameter=path>\na.py\n</parameter>\n</function>\n</tool_call>"
EXAMPLE_HERMES_CALL = '<tool_call>\n{"name": "run_tests", "arguments": {}}\n</tool_call>'


def calls(text: str, dialect: str | None) -> list[tuple[str, dict]]:
    result = parse_tool_calls(text, TOOLS, dialect)
    assert result.errors == [], result.errors
    return [(c.name, c.arguments) for c in result.calls]


def xml_write(content: str, path: str = "t.txt") -> str:
    return (f"<tool_call>\n<function=write_file>\n<parameter=path>\n{path}\n</parameter>\n"
            f"<parameter=content>\n{content}\n</parameter>\n</function>\n</tool_call>")


@pytest.mark.parametrize("dialect", ["qwen3_xml", None])
def test_field_case_xml_fixture_with_parameter_lines(dialect):
    got = calls((DATA / "qwen3xml-close-tag-in-value.txt").read_text(), dialect)
    assert got == [("write_file", {"path": "tests/fixtures/request.xml", "content": FIXTURE_XML})]


@pytest.mark.parametrize("dialect", ["hermes", None])
def test_field_case_hermes_close_tag_in_raw_newline_json(dialect):
    got = calls((DATA / "hermes-close-tag-in-raw-newline-json.txt").read_text(), dialect)
    assert got == [("write_file", {"path": "src/template.py", "content": MODULE})]


@pytest.mark.parametrize("content", [
    FIXTURE_XML,
    EXAMPLE_XML_CALL,  # a parser's test fixture: a whole example call
    f"def test_parse():\n    text = '''{EXAMPLE_XML_CALL}'''\n    assert parse(text)\n",
    "CLOSE = '</parameter>'\nEND = '</function>'\n",
    "<params>\n<parameter>1</parameter>\n<parameter>2</parameter>\n</params>",  # nameless pairs, as data
    "x = '</parameter>'\n</function>\n",  # closers that close nothing, not before a tag
    EXAMPLE_HERMES_CALL,
    '[TOOL_CALLS]read_file[ARGS]{"path": "x.py"}',
    "<function=run_tests>\n</function>",
])
@pytest.mark.parametrize("dialect", ["qwen3_xml", None])
def test_xml_value_holding_tags_arrives_whole_and_makes_no_call(content, dialect):
    assert calls(xml_write(content), dialect) == [("write_file", {"path": "t.txt", "content": content})]


def test_xml_value_with_tags_followed_by_a_second_call():
    text = xml_write(EXAMPLE_XML_CALL) + "\n" + xml_write("plain", "u.txt")
    assert calls(text, "qwen3_xml") == [("write_file", {"path": "t.txt", "content": EXAMPLE_XML_CALL}),
                                        ("write_file", {"path": "u.txt", "content": "plain"})]


def test_xml_missing_parameter_close_still_ends_at_the_next_parameter():
    text = "<function=read_file>\n<parameter=path>\na.py\n<parameter=start_line>\n3\n</parameter>\n</function>"
    assert calls(text, "qwen3_xml") == [("read_file", {"path": "a.py", "start_line": 3})]


@pytest.mark.parametrize("content", [MODULE, EXAMPLE_HERMES_CALL + "\n", "a = '</tool_call>'\nb = 1\n"])
@pytest.mark.parametrize("dialect", ["hermes", None])
def test_hermes_raw_newline_json_with_tags_in_the_string(content, dialect):
    # Quotes escaped, newlines raw: the JSON small models write for file bodies.
    body = json.dumps({"name": "write_file", "arguments": {"path": "m.py", "content": content}}).replace("\\n", "\n")
    text = "<tool_call>\n" + body + "\n</tool_call>"
    assert calls(text, dialect) == [("write_file", {"path": "m.py", "content": content})]


def test_hermes_second_call_after_a_value_with_tags():
    first = '<tool_call>\n{"name": "write_file", "arguments": {"path": "m.py", "content": "x = \'</tool_call>\'\n"}}\n</tool_call>'
    second = '<tool_call>\n{"name": "run_tests", "arguments": {}}\n</tool_call>'
    assert calls(first + "\n" + second, "hermes") == [
        ("write_file", {"path": "m.py", "content": "x = '</tool_call>'\n"}), ("run_tests", {})]
