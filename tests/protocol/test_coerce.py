import pytest

from smallcoder.protocol.coerce import CoercionError, coerce_object, coerce_value

INT = {"type": "integer"}


@pytest.mark.parametrize(
    ("value", "schema", "raw", "out"),
    [
        ("10", INT, False, 10),
        (" 7 ", INT, True, 7),
        (3.0, INT, False, 3),
        ("2.0", INT, True, 2),
        ("1.5", {"type": "number"}, True, 1.5),
        ("4", {"type": "number"}, True, 4),
        ("true", {"type": "boolean"}, True, True),
        ("False", {"type": "boolean"}, True, False),
        (1, {"type": "boolean"}, False, True),
        (5, {"type": "string"}, False, "5"),
        ({"a": 1}, {"type": "string"}, False, '{"a": 1}'),
        ('["a", "b"]', {"type": "array", "items": {"type": "string"}}, True, ["a", "b"]),
        ("['a', 'b',]", {"type": "array"}, True, ["a", "b"]),
        ("a.py", {"type": "array", "items": {"type": "string"}}, True, ["a.py"]),
        (["1", "2"], {"type": "array", "items": INT}, False, [1, 2]),
        ("{'k': True}", {"type": "object"}, True, {"k": True}),
        ("null", {"type": ["integer", "null"]}, True, None),
        ("5", {"type": ["integer", "null"]}, True, 5),
        ("5", {"anyOf": [{"type": "string"}, {"type": "integer"}]}, True, 5),
        ("5", {"anyOf": [{"type": "string"}, {"type": "integer"}]}, False, "5"),
        (None, {"type": "string", "nullable": True}, False, None),
        ("Fast", {"type": "string", "enum": ["fast", "slow"]}, False, "fast"),
        ("null", {"type": "string"}, True, "null"),
        ("anything", {}, True, "anything"),
    ],
)
def test_coerce_value(value, schema, raw, out):
    assert coerce_value(value, schema, raw) == out


@pytest.mark.parametrize(
    ("value", "schema", "message"),
    [
        ("ten", INT, "must be an integer, got 'ten'"),
        (True, INT, "must be an integer"),
        ("maybe", {"type": "boolean"}, "must be true or false"),
        ("medium", {"type": "string", "enum": ["fast", "slow"]}, 'must be one of "fast", "slow"'),
        ("{not json", {"type": "object"}, "must be a JSON object"),
        (["x"], {"type": "array", "items": INT}, "item 0 must be an integer"),
        ("x", {"type": ["integer", "boolean"]}, "must be integer or boolean"),
    ],
)
def test_coerce_value_errors(value, schema, message):
    with pytest.raises(CoercionError, match=message.replace("(", r"\(")):
        coerce_value(value, schema)


SCHEMA = {
    "type": "object",
    "properties": {"path": {"type": "string"}, "start_line": INT, "end_line": INT},
    "required": ["path"],
    "additionalProperties": False,
}


def test_coerce_object_ok_and_renames_key_variants():
    out, problems = coerce_object({"path": "a.py", "startLine": "3", "end_line": None}, SCHEMA)
    assert problems == [] and out == {"path": "a.py", "start_line": 3}


def test_coerce_object_reports_each_problem():
    out, problems = coerce_object({"file": "a.py", "start_line": "x"}, SCHEMA)
    assert "argument 'start_line' must be an integer, got 'x'" in problems
    assert "unknown argument 'file' (did you mean 'path'?)" in problems
    assert "missing required argument 'path'" in problems
    assert problems[-1] == "valid arguments: path, start_line?, end_line?"


def test_required_null_is_an_error():
    _, problems = coerce_object({"path": None}, SCHEMA)
    assert problems[0] == "argument 'path' must not be null"


def test_tool_without_parameters_ignores_arguments():
    assert coerce_object({"summary": "x"}, {"type": "object", "properties": {}}) == ({}, [])


def test_additional_properties_allowed_when_declared():
    schema = {"type": "object", "properties": {}, "additionalProperties": True}
    assert coerce_object({"x": 1}, schema) == ({"x": 1}, [])


def test_nested_object_properties_are_coerced():
    schema = {"type": "object", "properties": {"opts": {"type": "object", "properties": {"n": INT}}}}
    assert coerce_object({"opts": '{"n": "4"}'}, schema) == ({"opts": {"n": 4}}, [])
