"""Class: a closing tag inside a value is data — the property.

Any value text, including the tags of every dialect (tool-call wrappers, function and parameter tags,
Mistral control tokens, fences, reasoning tags, end-of-turn markers, whole example calls), round-trips
through render → parse unchanged, in every dialect, with the dialect given and detected; nothing inside
a value becomes a call. For Qwen3 XML, whose values are raw text without escaping, two shapes cannot be
told apart from the call's own structure and are left out (qwen3_xml_structure.py says why): a
<parameter=NAME> for a parameter of the same tool (here the example tags use names no edit tool has), and
a </parameter> that closes no <parameter of its own value and is directly followed by another tag. And one
shape is read right only most of the time, so it is left out of Qwen3 XML values too: a <parameter opener
that its value never closes (it makes the value's own </parameter> look like the close of that opener).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smallcoder.protocol import parse_tool_calls, render_tool_calls
from smallcoder.protocol.turns import END_OF_TURN
from smallcoder.tools import default_tools, tool_specs
from smallcoder.types import ToolCall

TOOLS = tool_specs(default_tools())
TAGS = [
    "<tool_call>", "</tool_call>", "<function=read_file>", "<function=write_file>", "</function>",
    "<parameter=file>", "<parameter>", '<parameter name="limit">', "[TOOL_CALLS]", "[ARGS]", "[CALL_ID]",
    "[TOOL_REQUEST]", "[END_TOOL_REQUEST]", "```", "```json", "```xml\n", "<think>", "</think>", "[THINK]",
    "[/THINK]", '{"name": "read_file", "arguments": {"path": "x.py"}}', 'read_file{"path": "a.py"}',
    "read_file[ARGS]{}", "\n", "\n\n", "  ", "\t", '"', "'", "\\", "{", "}", "<", ">", "&", *END_OF_TURN,
    # </parameter> as it appears in real files: closing its own <parameter, or not before a tag
    '<parameter name="k">v</parameter>', "<parameter=limit>\nx\n</parameter>", "'</parameter>'", "</parameter>;",
    "<tool_call>\n<function=open>\n<parameter=file>\na.py\n</parameter>\n</function>\n</tool_call>",
]
LONE_OPENERS = ("<parameter=file>", "<parameter>", '<parameter name="limit">')
PLAIN = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="<>[]`\r"), max_size=12)
VALUE = st.lists(st.one_of(st.sampled_from(TAGS), PLAIN), min_size=1, max_size=8).map("".join)
VALUE_XML = st.lists(st.one_of(st.sampled_from([t for t in TAGS if t not in LONE_OPENERS]), PLAIN),
                     min_size=1, max_size=8).map("".join)
FORMS = [("hermes", "v13"), ("qwen3_xml", "v13"), ("mistral", "v13"), ("mistral", "v11"), ("mistral", "v3"),
         ("fenced_json", "v13"), ("bare_json", "v13"), ("lmstudio", "v13")]
EDITS = [t for t in TOOLS if t.name in ("write_file", "replace_in_file", "run_command", "search")]


@st.composite
def calls(draw, dialect):
    out = []
    for _ in range(draw(st.integers(1, 2))):
        tool = draw(st.sampled_from(EDITS))
        props = tool.parameters.get("properties", {})
        required = tool.parameters.get("required", [])
        value = VALUE if dialect != "qwen3_xml" else VALUE_XML
        args = {name: draw(value) for name, schema in props.items()
                if name in required and schema.get("type") == "string"}
        out.append(ToolCall(tool.name, args, id=draw(st.from_regex(r"[A-Za-z0-9]{9}", fullmatch=True))))
    return out


@pytest.mark.parametrize(("dialect", "form"), FORMS, ids=[f"{d}-{f}" for d, f in FORMS])
def test_any_value_round_trips_and_nothing_inside_it_becomes_a_call(dialect, form):
    @settings(max_examples=80, deadline=None, derandomize=True)  # the same examples in every CI run
    @given(calls=calls(dialect), hinted=st.booleans())
    def check(calls, hinted):
        text = "Here is the change.\n" + render_tool_calls(calls, dialect, mistral_form=form)
        result = parse_tool_calls(text, TOOLS, dialect if hinted else None)
        assert result.errors == []
        assert [(c.name, c.arguments) for c in result.calls] == [(c.name, c.arguments) for c in calls]

    check()
