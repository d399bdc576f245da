"""The tools the model calls: plain typed functions with generated JSON schemas.

    tools = default_tools()
    specs = tool_specs(tools)            # what the model is told
    observation = tools[0].invoke(ctx, {"path": "src"})

A tool raises ToolError when it cannot do what was asked (the message goes back
to the model). A `finish` tool (submit) is never run: the session's policy decides.
"""

from __future__ import annotations

from smallcoder.tools.base import Tool, ToolContext
from smallcoder.tools.definition import rewrite_function
from smallcoder.tools.edit import replace_in_file
from smallcoder.tools.files import list_files, read_file, write_file
from smallcoder.tools.search import search
from smallcoder.tools.shell import run_command, run_tests
from smallcoder.tools.submit import submit
from smallcoder.types import ToolSpec

__all__ = ["Tool", "ToolContext", "default_tools", "read_only_tools", "tool_specs"]


def default_tools() -> list[Tool]:
    """The standard tool set, in the order the model sees it, each with its declared kind."""
    return [
        Tool.from_function(list_files, kind="read"),
        Tool.from_function(read_file, kind="read"),
        Tool.from_function(search, kind="read"),
        Tool.from_function(replace_in_file, kind="write", edits=True),
        Tool.from_function(rewrite_function, kind="write", edits=True),
        Tool.from_function(write_file, kind="write", edits=True),
        Tool.from_function(run_command, kind="exec"),
        Tool.from_function(run_tests, kind="exec"),
        Tool.from_function(submit, kind="finish"),
    ]


def read_only_tools() -> list[Tool]:
    """The tools that only look (for plan modes and review): reading, listing, searching, finishing."""
    return [t for t in default_tools() if t.kind in ("read", "finish")]


def tool_specs(tools: list[Tool]) -> list[ToolSpec]:
    return [t.spec for t in tools]
