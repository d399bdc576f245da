"""Before a run starts: does the smallest prompt the task needs fit the model's context at all?

The agent refuses any prompt that exceeds the window, but only once a step is
about to be sent, with a worktree made and tests run. Checking the minimal
prompt (system prompt, tool schemas, the task with no code attached, room for a
reply) first turns a doomed run into one actionable line:
"context 2048 is too small for this task; run with --ctx 4096 or more".
"""

from __future__ import annotations

from typing import Any

from smallcoder.agent.prompts import render
from smallcoder.backends.base import Backend
from smallcoder.backends.context_fit import check_fits
from smallcoder.tools import default_tools, tool_specs
from smallcoder.types import Message


def require_minimal_fit(backend: Backend, task: str, reply_tokens: int) -> int:
    """Raise ConfigError when even the minimal prompt cannot fit; returns its size in tokens."""
    minimal = render("task", task=task, test_command=None, tests_before=None, tests_before_output="", files=[],
                     repo_map="", python=False)
    messages = [Message("system", render("system")), Message("user", minimal)]
    return check_fits(backend, messages, tool_specs(default_tools()), reply_tokens)


def backend_record(backend: Any) -> dict[str, Any]:
    """What the run record keeps about the model server (endpoint, runtime, whether code left the machine)."""
    record = getattr(backend, "run_record", None)
    return dict(record) if isinstance(record, dict) else {}
