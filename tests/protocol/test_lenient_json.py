import json

import pytest

from smallcoder.protocol.lenient_json import LenientJSONError, decode_at, loads


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1, "b": [1, 2,],}', {"a": 1, "b": [1, 2]}),
        ("{'a': 'x', 'b': True, 'c': None, 'd': False}", {"a": "x", "b": True, "c": None, "d": False}),
        ('{"content": "line1\nline2\tend"}', {"content": "line1\nline2\tend"}),
        ('{"a": {"b": [1, 2', {"a": {"b": [1, 2]}}),
        ('{"a": "unterminated', {"a": "unterminated"}),
        ('// note\n{"a": 1, /* why */ "b": 2} # done', {"a": 1, "b": 2}),
        ('{a: 1, b_c: "x"}', {"a": 1, "b_c": "x"}),
        ('{"a": 1 "b": 2}', {"a": 1, "b": 2}),
        ('{"code": "print("hi")", "n": 1}', {"code": 'print("hi")', "n": 1}),
        ('{"cmd": "echo "<x>",\n "n": 1}', {"cmd": 'echo "<x>"', "n": 1}),
        ('{"re": "\\d+\\.py"}', {"re": "\\d+\\.py"}),
        ('{"u": "\\u00e9\\ud83d\\ude00"}', {"u": "é😀"}),
        ('{"n": -1.5e3, "m": +2, "k": .5}', {"n": -1500.0, "m": 2, "k": 0.5}),
        ('{"command": ls -la}', {"command": "ls -la"}),
        ("[1 2 3]", [1, 2, 3]),
    ],
)
def test_repairs(text, value):
    assert loads(text) == value


def test_well_formed_json_is_read_exactly():
    doc = {"s": "a \"quoted\" </tool_call> \\ value", "n": [1, 2.5, None, True]}
    assert loads(json.dumps(doc)) == doc


@pytest.mark.parametrize("text", ["", "{", "]", '{"a" 1}', "{\"a\": @}", "nope", '{"a": 1} trailing'])
def test_failures_are_lenient_json_errors(text):
    if text == "{":
        assert loads(text) == {}  # a lone brace at the end is an empty object cut short
        return
    with pytest.raises(LenientJSONError):
        loads(text)


def test_decode_at_returns_end_and_respects_bound():
    text = 'x {"a": 1} y'
    assert decode_at(text, 2) == ({"a": 1}, 10)
    broken = '{"a": 1 </tool_call> {"b": 2}'
    value, end = decode_at(broken, 0, broken.index("</tool_call>"))
    assert value == {"a": 1} and end <= broken.index("</tool_call>")


def test_deep_nesting_fails_cleanly():
    with pytest.raises(LenientJSONError):
        loads("[" * 5000)


def test_python_triple_quoted_strings_are_one_string():
    # Qwen2.5-Coder-1.5B on tomli wrote its rewrite_function code this way (repobugs run records)
    text = ('{\n  "name": "rewrite_function",\n  "arguments": {\n    "path": "tomli/_parser.py",\n    "code": """\n'
            "ASCII_CTRL = frozenset(chr(i) for i in range(32)) | frozenset(chr(127))\n    \"\"\"\n  }\n}")
    assert loads(text)["arguments"] == {
        "path": "tomli/_parser.py", "code": "\nASCII_CTRL = frozenset(chr(i) for i in range(32)) | frozenset(chr(127))\n    "}
    assert loads("{'code': '''def f():\n    return \"x\"\\n'''}") == {"code": 'def f():\n    return "x"\n'}
    assert loads('{"a": "", "b": "x"}') == {"a": "", "b": "x"}  # an empty string is not the start of one
    assert loads('{"a": "" , "b": ""}') == {"a": "", "b": ""}
