"""The tools the model calls: plain typed functions with generated JSON schemas.

    tools = default_tools()
    specs = tool_specs(tools)            # what the model is told
    observation = tools[0].invoke(ctx, {"path": "src"})

A tool raises ToolError when it cannot do what was asked (the message goes back
to the model) and Submitted when the model declares the task done.
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

__all__ = ["Tool", "ToolContext", "default_tools", "tool_specs"]


def default_tools() -> list[Tool]:
    """The standard tool set, in the order the model sees it."""
    fns = [list_files, read_file, search, replace_in_file, rewrite_function, write_file, run_command, run_tests, submit]
    return [Tool.from_function(fn) for fn in fns]


def tool_specs(tools: list[Tool]) -> list[ToolSpec]:
    return [t.spec for t in tools]
