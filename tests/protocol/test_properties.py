"""Property tests: the parser never raises, and every dialect round-trips render → parse."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smallcoder.protocol import lenient_json, parse_tool_calls, render_tool_calls
from smallcoder.protocol.parse import _parse
from smallcoder.types import ToolCall

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

TOKENS = [
    "<tool_call>", "</tool_call>", "<function=", "read_file", "run_tests", ">", "<parameter=", "path", "start_line",
    "<parameter>", "</parameter>", "</function>", "<function=x/>", "[TOOL_CALLS]", "[ARGS]", "[CALL_ID]",
    "[TOOL_REQUEST]", "[END_TOOL_REQUEST]", "{", "}", "[", "]", '"', "'", ":", ",", "\n", "```", "```json\n",
    "<think>", "</think>", "[THINK]", "[/THINK]", '"name"', '"arguments"', '"tool"', "\\", "\\u12", "null",
    "True", "12", "-3.5e", "#", "//", "/*", "*/", "read_file(", ")", "=", " ",
]
markup = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)), max_size=40).map("".join)


@SETTINGS
@given(text=st.one_of(st.text(), markup), dialect=st.sampled_from([None, "hermes", "qwen3_xml", "mistral", "native"]))
def test_parse_never_raises(tools, text, dialect):
    # _parse has no safety net, so any exception here is a real bug.
    result = _parse(text, tools, dialect, None)
    assert isinstance(result.content, str)
    assert all(isinstance(c.arguments, dict) for c in result.calls)


@SETTINGS
@given(text=st.one_of(st.text(), markup))
def test_lenient_json_fails_only_with_value_error(text):
    try:
        lenient_json.loads(text)
    except ValueError:
        pass


@SETTINGS
@given(text=st.one_of(st.text(), markup))
def test_public_parse_never_raises_even_without_tools(text):
    parse_tool_calls(text, [])


# --- round trips -------------------------------------------------------------

TRICKY = ["a < b && c", "\n", "  indented\n\tline\n", "</think>", '{"name": "x"}', "quote \" and ' ", "x\r", "", " "]
XML_MARKUP = ("<parameter", "</parameter", "<function", "</function", "<tool_call", "</tool_call")


def strings(dialect: str, optional: bool) -> st.SearchStrategy[str]:
    base = st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), st.sampled_from(TRICKY))
    if dialect == "qwen3_xml":
        # Raw XML values cannot contain the tags that delimit them; "null" means "not given"
        # for an optional parameter.
        base = base.filter(lambda s: not any(m in s for m in XML_MARKUP))
        if optional:
            base = base.filter(lambda s: s.strip() not in ("null", "None"))
    if dialect == "fenced_json":
        base = base.filter(lambda s: "```" not in s)
    return base


@st.composite
def calls_for(draw, tools, dialect):
    out = []
    for _ in range(draw(st.integers(1, 3))):
        tool = draw(st.sampled_from(tools))
        props = tool.parameters.get("properties", {})
        required = tool.parameters.get("required", [])
        args = {}
        for name, schema in props.items():
            if name not in required and not draw(st.booleans()):
                continue
            if schema["type"] == "integer":
                args[name] = draw(st.integers(-(10**9), 10**9))
            else:
                args[name] = draw(strings(dialect, name not in required))
        out.append(ToolCall(tool.name, args, id=draw(st.from_regex(r"[A-Za-z0-9]{9}", fullmatch=True))))
    return out


CONTENT = st.text(st.characters(whitelist_categories=("L", "N", "Zs"), whitelist_characters=".,;!?-()"), max_size=30)
FORMS = [
    ("hermes", "v13"), ("qwen3_xml", "v13"), ("mistral", "v13"), ("mistral", "v11"), ("mistral", "v3"),
    ("fenced_json", "v13"), ("bare_json", "v13"), ("lmstudio", "v13"),
]


@pytest.mark.parametrize(("dialect", "form"), FORMS, ids=[f"{d}-{f}" for d, f in FORMS])
def test_round_trip(tools, dialect, form):
    @SETTINGS
    @given(calls=calls_for(tools, dialect), content=CONTENT, hinted=st.booleans())
    def check(calls, content, hinted):
        text = render_tool_calls(calls, dialect, mistral_form=form)
        if content.strip():
            text = content + "\n" + text
        result = parse_tool_calls(text, tools, dialect if hinted else None)
        assert result.errors == []
        assert [(c.name, c.arguments) for c in result.calls] == [(c.name, c.arguments) for c in calls]
        assert result.dialect == dialect
        assert result.content == content.strip()
        if dialect == "mistral" and form in ("v11", "v3"):
            assert [c.id for c in result.calls] == [c.id for c in calls]

    check()
