"""Approval policy: which tool calls may run without asking the user, judged by each tool's declared kind.

    read-only   read and search only; anything that writes or executes is refused
    ask         reads run; writes and commands run only when `ask` says yes
    full-auto   everything runs (inside the sandbox) — the default for `fix`
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any


class Policy(StrEnum):
    READ_ONLY = "read-only"
    ASK = "ask"
    FULL_AUTO = "full-auto"


# ask(tool_name, arguments) -> True to allow. The interactive mode shows the call and reads y/n.
Ask = Callable[[str, Mapping[str, Any]], bool]


def check(policy: Policy | str, kind: str, tool_name: str, arguments: Mapping[str, Any] | None,
          ask: Ask | None = None) -> bool:
    """May this call of a tool of `kind` (its declared read / write / exec / finish) run now?
    Under `ask` with no way to ask, the answer is no."""
    policy = Policy(policy)
    if policy is Policy.FULL_AUTO or kind in ("read", "finish"):
        return True
    if policy is Policy.READ_ONLY or ask is None:
        return False
    return bool(ask(tool_name, arguments or {}))


def refusal(policy: Policy | str, tool_name: str) -> str:
    """The message the model gets when a call is refused."""
    if Policy(policy) is Policy.READ_ONLY:
        return f"{tool_name} is not allowed: this session is read-only (reading and searching only)"
    return f"the user did not approve this {tool_name} call; try something else or ask in your reply"
