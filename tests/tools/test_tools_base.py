"""Schema generation and argument validation for Tool.from_function."""

from __future__ import annotations

import json
from typing import Annotated

import pytest
from pydantic import Field

from smallcoder.errors import ToolError
from smallcoder.tools import default_tools, tool_specs
from smallcoder.tools.base import Tool, ToolContext


def sample(
    ctx: ToolContext,
    name: Annotated[str, Field(description="who to greet")],
    times: int = 1,
    limit: Annotated[int | None, Field(description="cap")] = None,
    loud: bool = False,
) -> str:
    """Greet someone.

    This second paragraph is for humans only.
    """
    return f"{ctx.root.name}:{name * times}:{limit}:{loud}"


def _walk(obj):
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


def test_schema_hides_ctx_and_keeps_types_required_and_descriptions():
    spec = Tool.from_function(sample).spec
    assert spec.name == "sample"
    assert spec.description == "Greet someone."
    params = spec.parameters
    assert params["type"] == "object"
    assert list(params["properties"]) == ["name", "times", "limit", "loud"]
    assert "ctx" not in params["properties"]
    assert params["required"] == ["name"]
    props = params["properties"]
    assert props["name"] == {"type": "string", "description": "who to greet"}
    assert props["times"] == {"type": "integer", "default": 1}
    assert props["limit"] == {"type": "integer", "description": "cap"}  # Optional collapses; null default dropped
    assert props["loud"] == {"type": "boolean", "default": False}


def test_schemas_have_no_titles():
    for spec in tool_specs(default_tools()):
        for node in _walk(spec.parameters):
            # "title" may only appear as a property name, never as a schema keyword.
            assert "title" not in node or node is spec.parameters["properties"]


def test_default_tools_order_and_size():
    tools = default_tools()
    assert [t.name for t in tools] == [
        "list_files",
        "read_file",
        "search",
        "replace_in_file",
        "rewrite_function",
        "write_file",
        "run_command",
        "run_tests",
        "submit",
    ]
    specs = tool_specs(tools)
    for spec in specs:
        assert spec.description and "\n" not in spec.description
        assert spec.description.endswith(".")
        json.dumps(spec.as_openai())  # serialisable
    size = len(json.dumps([s.as_openai() for s in specs]))
    compact = len(json.dumps([s.as_openai() for s in specs], separators=(",", ":")))
    print(f"\ndefault tool specs: {size} chars as JSON ({compact} compact)")


def test_invoke_validates_and_coerces(ctx):
    tool = Tool.from_function(sample)
    assert tool.invoke(ctx, {"name": "ab", "times": "2"}) == f"{ctx.root.name}:abab:None:False"
    # A null for an argument with a default means the default.
    assert tool.invoke(ctx, {"name": "a", "times": None}).endswith(":a:None:False")
    # Numbers are accepted for strings.
    assert tool.invoke(ctx, {"name": 7}).endswith(":7:None:False")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, "missing required argument 'name' (a string)"),
        ({"name": "a", "times": "many"}, "argument 'times' must be an integer, got 'many'"),
        ({"name": "a", "colour": "red"}, "unknown argument 'colour' (valid arguments: name, times, limit, loud)"),
        ({"name": None}, "argument 'name' must be a string, got None"),
        ({"name": "a", "loud": "perhaps"}, "argument 'loud' must be true or false, got 'perhaps'"),
    ],
)
def test_invoke_reports_bad_arguments_precisely(ctx, args, expected):
    with pytest.raises(ToolError) as info:
        Tool.from_function(sample).invoke(ctx, args)
    assert str(info.value).startswith("invalid arguments for sample: ")
    assert expected in str(info.value)


def test_invoke_rejects_non_object_arguments(ctx):
    with pytest.raises(ToolError, match="arguments must be a JSON object"):
        Tool.from_function(sample).invoke(ctx, ["a"])  # type: ignore[arg-type]


def test_invoke_truncates_observation_head_and_tail(ctx):
    def big(ctx: ToolContext) -> str:
        """Print a lot."""
        return "\n".join(f"line {i}" for i in range(5000))

    ctx.max_observation_chars = 500
    out = Tool.from_function(big).invoke(ctx, {})
    assert out.startswith("line 0\n")
    assert out.endswith("line 4999")
    assert "cut" in out
    assert len(out) < 600


def test_from_function_requires_ctx_first():
    def bad(path: str) -> str:
        """Bad."""
        return path

    with pytest.raises(TypeError, match="ctx"):
        Tool.from_function(bad)
