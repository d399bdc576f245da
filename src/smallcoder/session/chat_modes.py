"""Chat approval modes, and the boundary that enforces each one.

    mode       file edits          commands                          isolation of commands
    plan       refused             run                               sandbox, worktree mounted read-only
    ask        ask y/n/always      ask y/n/always                    sandbox (no network)
    auto-edit  run                 ask y/n/always                    sandbox (no network)
    auto       run                 run                               sandbox (no network)
    yolo       run                 run                               none, chosen explicitly

The questions are a convenience; the boundary is the sandbox. In `plan` a
command may read the code (grep, git log, the tests) but cannot write, because
bubblewrap mounts the worktree read-only; when no such sandbox can run,
commands are refused in `plan` instead. The edit tools themselves never write
outside the worktree (tools/paths.py) and are refused outright in `plan`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from enum import StrEnum
from typing import Any

from smallcoder.config import SandboxSettings
from smallcoder.errors import ConfigError
from smallcoder.sandbox import Isolation, choose_isolation


class Mode(StrEnum):
    PLAN = "plan"
    ASK = "ask"
    AUTO_EDIT = "auto-edit"
    AUTO = "auto"
    YOLO = "yolo"


# Shift+Tab walks this cycle. yolo is left out on purpose: it is only ever chosen by name.
CYCLE = (Mode.PLAN, Mode.ASK, Mode.AUTO_EDIT, Mode.AUTO)

# What the user answers when asked: "y" once, "n" refuse, "a" always (this kind of call, this session).
Answer = str
AskUser = Callable[[str, str, Mapping[str, Any]], Answer]  # (kind, tool name, arguments) -> y | n | a


def parse_mode(text: str) -> Mode:
    """The mode named by `text` (a unique prefix is enough); ConfigError listing the modes otherwise."""
    name = text.strip().lower()
    if name in {m.value for m in Mode}:
        return Mode(name)
    matches = [m for m in Mode if m.value.startswith(name)] if name else []
    if len(matches) == 1:
        return matches[0]
    raise ConfigError(f"unknown mode {text!r}; modes: {', '.join(m.value for m in Mode)}")


def next_mode(mode: Mode) -> Mode:
    """The mode Shift+Tab moves to (from yolo it goes back to the start of the cycle)."""
    if mode not in CYCLE:
        return CYCLE[0]
    return CYCLE[(CYCLE.index(mode) + 1) % len(CYCLE)]


def isolation_for(mode: Mode, settings: SandboxSettings) -> Isolation:
    """The isolation commands get in `mode`. yolo: none, by the user's explicit choice; the others use the
    user's sandbox settings (raises SandboxUnavailable with the fix when none can run)."""
    if mode is Mode.YOLO:
        return Isolation("none", replace(settings, mode="none"), "yolo mode: no sandbox, chosen explicitly")
    return choose_isolation(settings)


def decision(mode: Mode, kind: str, *, read_only_sandbox: bool) -> str:
    """"allow", "ask" or "refuse" for a call of `kind` (read / write / exec) in `mode`.

    read_only_sandbox: whether commands in `plan` run with the worktree mounted read-only (bubblewrap);
    without that boundary `plan` refuses commands rather than trusting them.
    """
    if kind == "read":
        return "allow"
    if mode is Mode.PLAN:
        return "allow" if kind == "exec" and read_only_sandbox else "refuse"
    if mode is Mode.ASK:
        return "ask"
    if mode is Mode.AUTO_EDIT:
        return "allow" if kind == "write" else "ask"
    return "allow"


class Approvals:
    """The agent's `ask` hook for one chat: decides by mode and by each tool's declared kind, and
    remembers "always" answers per kind.

    `mode` and `read_only_sandbox` are read at each call, so Shift+Tab takes effect on the next call.
    """

    def __init__(self, ask_user: AskUser | None, kinds: Mapping[str, str]) -> None:
        self.ask_user = ask_user
        self.kinds = dict(kinds)  # tool name -> its declared kind (tools/base.py)
        self.mode = Mode.AUTO
        self.read_only_sandbox = False
        self.always: set[str] = set()  # kinds the user said "always" to

    def __call__(self, tool_name: str, arguments: Mapping[str, Any]) -> bool:
        kind = self.kinds.get(tool_name, "exec")  # an undeclared tool: the most careful choice
        verdict = decision(self.mode, kind, read_only_sandbox=self.read_only_sandbox)
        if verdict == "allow":
            return True
        if verdict == "refuse":
            return False
        if kind in self.always:
            return True
        answer = (self.ask_user(kind, tool_name, arguments) if self.ask_user else "n").strip().lower()[:1]
        if answer == "a":
            self.always.add(kind)
        return answer in ("y", "a")
