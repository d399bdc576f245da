"""Tool plumbing: the context a tool runs in, and a Tool built from a typed function.

A tool is a plain function `fn(ctx: ToolContext, **typed_args) -> str`. Its JSON
schema is generated from the signature with pydantic, then compacted, because
the whole tool set is sent in every prompt of a small model.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from smallcoder.errors import ToolError
from smallcoder.types import ToolSpec
from smallcoder.workspace.truncate import truncate_middle


@dataclass
class ToolContext:
    """What every tool call can see: the run's worktree and the limits for observations."""

    root: Path  # the run's worktree; tools never touch anything outside it
    test_command: str | None = None
    command_timeout: float = 120.0
    max_observation_chars: int = 8000
    wrap: Callable[..., Any] | None = None  # passed to the command runner (a future sandbox)
    env: dict[str, str] | None = None


class _Args(BaseModel):
    # Numbers are coerced to strings: small models write `"content": 42` for a file holding "42".
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


Kind = Literal["read", "write", "exec", "finish"]
KINDS: tuple[Kind, ...] = ("read", "write", "exec", "finish")


@dataclass
class Tool:
    """A callable tool: its name, the function, the spec the model sees, and what it does.

    kind: "read" (looks only), "write" (changes files in the worktree), "exec" (runs a command),
    "finish" (declares the task done). The approval policy, the loop and the stuck detector judge a
    call by these declarations, never by the tool's name. `edits`: it changes source files (the
    fix pipeline runs the tests after it).
    """

    name: str
    fn: Callable[..., str]
    spec: ToolSpec
    args_model: type[BaseModel] | None = None
    kind: Kind = "exec"  # undeclared: the most careful choice
    edits: bool = False

    @classmethod
    def from_function(cls, fn: Callable[..., str], name: str | None = None, *, kind: Kind = "exec",
                      edits: bool = False) -> Tool:
        if kind not in KINDS:
            raise ValueError(f"tool kind {kind!r} is not one of {', '.join(KINDS)}")
        name = name or fn.__name__
        model = _args_model(fn, name)
        spec = ToolSpec(name=name, description=_first_paragraph(fn.__doc__), parameters=_schema(model))
        return cls(name=name, fn=fn, spec=spec, args_model=model, kind=kind, edits=edits)

    def invoke(self, ctx: ToolContext, arguments: dict[str, Any] | None) -> str:
        """Validate the model's arguments, run the tool, and return the (truncated) observation.

        Raises ToolError for bad arguments or a failed action; the agent shows it to the model.
        """
        model = self.args_model or _args_model(self.fn, self.name)
        args = self._validate(model, arguments)
        result = self.fn(ctx, **args)
        return truncate_middle(str(result), ctx.max_observation_chars)

    def _validate(self, model: type[BaseModel], arguments: Any) -> dict[str, Any]:
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise ToolError(f"{self.name}: arguments must be a JSON object, got {type(arguments).__name__}")
        # A null for an argument that has a default means "use the default".
        fields = model.model_fields
        arguments = {
            k: v for k, v in arguments.items() if not (v is None and k in fields and not fields[k].is_required())
        }
        try:
            parsed = model.model_validate(arguments)
        except ValidationError as exc:
            raise ToolError(_describe_errors(self.name, model, exc)) from None
        return {k: getattr(parsed, k) for k in fields}


def _args_model(fn: Callable[..., Any], name: str) -> type[BaseModel]:
    """A pydantic model of fn's parameters, skipping the leading `ctx`."""
    hints = typing.get_type_hints(fn, include_extras=True)
    params = list(inspect.signature(fn).parameters.values())
    if not params or params[0].name != "ctx":
        raise TypeError(f"tool function {name} must take `ctx: ToolContext` first")
    fields: dict[str, Any] = {}
    for p in params[1:]:
        if p.name not in hints:
            raise TypeError(f"tool function {name}: parameter {p.name} needs a type hint")
        default = ... if p.default is inspect.Parameter.empty else p.default
        fields[p.name] = (hints[p.name], default)
    return create_model(f"{name}_args", __base__=_Args, **fields)


def _first_paragraph(doc: str | None) -> str:
    text = inspect.cleandoc(doc or "")
    return " ".join(text.split("\n\n", 1)[0].split())


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema()
    props = {name: _compact(prop) for name, prop in raw.get("properties", {}).items()}
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if raw.get("required"):
        schema["required"] = raw["required"]
    return schema


def _compact(prop: dict[str, Any]) -> dict[str, Any]:
    """Drop titles and null defaults; turn `anyOf: [T, null]` into T (optional is already implied)."""
    prop = {k: v for k, v in prop.items() if k != "title"}
    variants = prop.get("anyOf")
    if variants:
        non_null = [v for v in variants if v.get("type") != "null"]
        if len(non_null) == 1:
            del prop["anyOf"]
            prop = {**_compact(non_null[0]), **prop}
    if "default" in prop and prop["default"] is None:
        del prop["default"]
    if isinstance(prop.get("items"), dict):
        prop["items"] = _compact(prop["items"])
    # Keep "type" and "description" first: it reads better in a prompt.
    order = {"type": 0, "description": 1}
    return dict(sorted(prop.items(), key=lambda kv: order.get(kv[0], 2)))


_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false"}


def _expected(model: type[BaseModel], field: str) -> str:
    prop = _schema(model)["properties"].get(field, {})
    kind = str(prop.get("type", ""))
    return _TYPE_NAMES.get(kind, kind or "a value")


def _describe_errors(tool: str, model: type[BaseModel], exc: ValidationError) -> str:
    """One line per problem: which argument, what was expected, what came."""
    valid = ", ".join(model.model_fields) or "none"
    problems = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "?"
        kind = err["type"]
        if kind == "missing":
            problems.append(f"missing required argument '{field}' ({_expected(model, field)})")
        elif kind == "extra_forbidden":
            problems.append(f"unknown argument '{field}' (valid arguments: {valid})")
        else:
            got = repr(err.get("input"))
            if len(got) > 60:
                got = got[:57] + "..."
            if kind.endswith(("_type", "_parsing")):
                problems.append(f"argument '{field}' must be {_expected(model, field)}, got {got}")
            else:
                problems.append(f"argument '{field}': {err['msg']}, got {got}")
    return f"invalid arguments for {tool}: " + "; ".join(problems)
