"""Before a run starts: does the smallest prompt the task needs fit the model's context at all?

The agent refuses any prompt that exceeds the window, but only once a step is
about to be sent, with a worktree made and tests run. Checking the minimal
prompt (system prompt, tool schemas, the task with no code attached, room for a
reply) first turns a doomed run into one actionable line:
"context 2048 is too small for this task; run with --ctx 4096 or more".
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2
from jinja2 import meta

from smallcoder.agent.prompts import render
from smallcoder.backends.base import Backend
from smallcoder.backends.context_fit import check_fits
from smallcoder.tools import default_tools, tool_specs
from smallcoder.types import Message


def require_minimal_fit(backend: Backend, task: str, reply_tokens: int) -> int:
    """Raise ConfigError when even the minimal prompt cannot fit; returns its size in tokens."""
    messages = [Message("system", render("system")), Message("user", minimal_task_prompt(task))]
    return check_fits(backend, messages, tool_specs(default_tools()), reply_tokens)


def minimal_task_prompt(task: str) -> str:
    """The task template with nothing attached. Variables the template gains later are left
    empty, so this check does not break when the prompt grows."""
    values: dict[str, Any] = {"task": task, "test_command": None, "tests_before": None, "tests_before_output": "",
                              "files": [], "repo_map": "", "python": False}
    source = resources.files("smallcoder").joinpath("prompts", "task.j2").read_text(encoding="utf-8")
    for name in meta.find_undeclared_variables(jinja2.Environment().parse(source)):
        values.setdefault(name, "")
    return render("task", **values)
