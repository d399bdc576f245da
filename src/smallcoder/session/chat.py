"""A long-lived conversation on the run's own worktree: turns, undo/redo/rewind, /apply, resume.

    with open_session(config, home, stream=printer.on_text) as session:
        chat = ChatSession.start(session, Path("."), mode=Mode.AUTO, ask_user=ui.ask, observers=[ui])
        chat.send("why does mean() fail?")         # one turn: model and tools until it answers
        chat.undo(); chat.redo(); chat.rewind(1)   # files and conversation together
        chat.apply()                               # the change into the user's checkout
        chat.close()

Like `fix`, the chat works in a git worktree on `smallcoder/<id>`; the user's
tree changes only with `apply()`. The worktree is snapshotted at the start of
each turn and before every edit or command (workspace/snapshots.py), so undo needs
no commits. The whole chat is one run in the store: each model call and tool
call is recorded as it happens, and the conversation is saved after each turn
(the run's extra `chat`), so `ChatSession.resume` rebuilds the exact prompt.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from smallcoder.agent.compact import compact
from smallcoder.agent.events import Observer, RunFinished, RunResult, RunStarted, TestRun
from smallcoder.agent.loop import Agent, AgentConfig
from smallcoder.agent.prompts import render
from smallcoder.errors import SmallcoderError, WorkspaceError
from smallcoder.sandbox import Sandbox, open_sandbox
from smallcoder.session.chat_modes import Approvals, AskUser, Mode, isolation_for
from smallcoder.session.chat_state import ChatState, Turn
from smallcoder.session.chat_turn import TurnOutcome, run_turn
from smallcoder.session.fix import observation_budget
from smallcoder.session.preflight import Prepared, prepare_worktree
from smallcoder.session.setup import Session
from smallcoder.tools import Tool, ToolContext, default_tools
from smallcoder.types import Message, Usage
from smallcoder.workspace.diff import apply_to_user_tree
from smallcoder.workspace.find_env import find_environment
from smallcoder.workspace.git import find_repo_root, git, git_out
from smallcoder.workspace.snapshots import Snapshots
from smallcoder.workspace.worktree import Worktree, create_worktree, remove_worktree

MAX_LISTED_FILES = 60  # files named in the system prompt; the rest the model finds with list_files


@dataclass
class ContextUse:
    """Tokens of each part of the next request against the real window (`/context`)."""

    system: int
    tools: int
    history: int
    attached: int
    reply: int  # reserved for the model's answer
    window: int

    @property
    def total(self) -> int:
        return self.system + self.tools + self.history + self.attached + self.reply

    @property
    def fits(self) -> bool:
        return self.total <= self.window


def chat_tools() -> list[Tool]:
    """The fix tool set without its `finish` tool: in a conversation the model finishes by answering in words."""
    return [t for t in default_tools() if t.kind != "finish"]


class ChatSession:
    """One conversation. Not thread-safe: the REPL calls it from one thread."""

    def __init__(self, session: Session, wt: Worktree, prep: Prepared, state: ChatState, *,
                 ask_user: AskUser | None, observers: Sequence[Observer], max_steps: int, recorded: bool) -> None:
        self.session, self.wt, self.prep, self.state = session, wt, prep, state
        self.run_id = wt.path.name
        self.max_steps = max_steps
        self.recorded = recorded  # RunStarted is written with the first turn
        self.snaps = Snapshots(wt.path)
        self.base_tree = self.snaps.tree_of(wt.base_commit)
        self.state.applied_tree = self.state.applied_tree or self.base_tree
        tools = [self._snapshotting(t) if t.kind in ("write", "exec") else t for t in chat_tools()]
        self.approvals = Approvals(ask_user, {t.name: t.kind for t in tools})
        self._sandboxes: dict[tuple[str, bool], Sandbox] = {}
        backend = session.backend
        self.ctx = ToolContext(root=wt.path, test_command=prep.test_command,
                               max_observation_chars=observation_budget(backend.context_window))
        # A chat compacts before a turn that would not fit (send()); a turn that outgrows the window on its
        # own is compacted by the loop, which keeps the turn's request. The run-wide token budget of `fix`
        # would end a long conversation for good: a chat has none.
        config = AgentConfig(approval="ask", ask=self.approvals, max_steps=max_steps, max_total_tokens=sys.maxsize)
        self.agent = Agent(backend, tools, self.ctx, config, self.run_id, [*session.observers, *observers])
        self.agent.messages = state.messages
        self.agent.steps = state.steps
        self.turn_outcome: TurnOutcome | None = None
        self._turn: Turn | None = None  # the turn in progress: tool snapshots go to it
        self.busy_s = 0.0  # time spent in turns (the run record's wall time)
        self.set_mode(Mode(state.mode))

    # -- opening -------------------------------------------------------------

    @classmethod
    def start(cls, session: Session, repo: Path, *, mode: Mode = Mode.AUTO, ask_user: AskUser | None = None,
              observers: Sequence[Observer] = (), test_command: str | None = None, max_steps: int = 20) -> ChatSession:
        """A new chat on a fresh worktree of `repo` (uncommitted and untracked files included).
        Raises WorkspaceError / EnvironmentProblem / SandboxUnavailable before anything is left behind."""
        root = find_repo_root(repo)
        isolation_for(mode, session.config.sandbox)  # a refusal now leaves no worktree behind
        envs = find_environment(root, None)
        run_id = session.store.new_run_id()
        wt = create_worktree(root, run_id, session.home.worktrees)
        prep = prepare_worktree(envs, root, wt.path, test_command)
        system = render("chat_system", repo_name=root.name, test_command=prep.test_command, **_file_list(wt.path))
        state = ChatState(messages=[Message("system", system)], mode=mode.value)
        return cls(session, wt, prep, state, ask_user=ask_user, observers=observers, max_steps=max_steps,
                   recorded=False)

    @classmethod
    def resume(cls, session: Session, ref: str, *, mode: Mode | None = None, ask_user: AskUser | None = None,
               observers: Sequence[Observer] = (), max_steps: int = 20) -> ChatSession:
        """The chat recorded as run `ref` (a full id or unique prefix), on its own worktree, with the
        conversation exactly as saved after its last turn."""
        record = session.store.get_run(ref)["run"]
        extra = record.get("extra") or {}
        if extra.get("kind") != "chat":
            raise SmallcoderError(f"run {record['id']} is not a chat (it is a `fix` run); `/runs` lists chats")
        state = ChatState.from_json(extra.get("chat"))
        path = Path(record["worktree"])
        if not (path / ".git").is_file():
            raise WorkspaceError(f"the worktree of chat {record['id']} is gone ({path}); it cannot be resumed")
        wt = Worktree(repo=Path(record["repo"]), path=path, branch=record["branch"],
                      base_commit=record["base_commit"], user_head="", snapshot=False)
        prep = prepare_worktree(find_environment(wt.repo, None), wt.repo, wt.path, record.get("test_command"))
        if mode is not None:
            state.mode = mode.value
        return cls(session, wt, prep, state, ask_user=ask_user, observers=observers, max_steps=max_steps,
                   recorded=True)

    # -- the conversation ----------------------------------------------------

    def _snapshotting(self, tool: Tool) -> Tool:
        """`tool` with a snapshot of the worktree taken just before it acts (after approval)."""
        action = tool.fn

        def snapshot_then_act(ctx: ToolContext, **arguments: Any) -> str:
            turn = self._turn
            if turn is not None:
                turn.tool_snapshots.append(self.snaps.take(f"chat {self.run_id}: before {tool.name}"))
            return action(ctx, **arguments)

        return replace(tool, fn=snapshot_then_act)

    @property
    def messages(self) -> list[Message]:
        return self.agent.messages

    @property
    def mode(self) -> Mode:
        return self.approvals.mode

    def set_mode(self, mode: Mode) -> None:
        """Switch the approval mode and the sandbox that enforces it (SandboxUnavailable leaves the old one)."""
        sandbox = self._sandbox(mode)
        self.ctx.wrap, self.ctx.env = sandbox.wrap, sandbox.runner_env
        self.approvals.mode = mode
        self.approvals.read_only_sandbox = sandbox.isolation.kind == "bwrap" and sandbox.read_only_worktree
        self.state.mode = mode.value

    def _sandbox(self, mode: Mode) -> Sandbox:
        isolation = isolation_for(mode, self.session.config.sandbox)
        key = (isolation.kind, mode is Mode.PLAN)
        if key not in self._sandboxes:
            self._sandboxes[key] = open_sandbox(isolation, self.wt.path, repo=self.wt.repo, run_id=self.run_id,
                                                extra_env=self.prep.run_env, extra_read_only=self.prep.read_only,
                                                read_only_worktree=mode is Mode.PLAN)
        return self._sandboxes[key]

    @property
    def sandbox(self) -> Sandbox:
        return self._sandbox(self.mode)

    def send(self, text: str, *, user_text: str | None = None) -> TurnOutcome:
        """One turn. `text` goes to the model (attachments expanded); `user_text` is what the user typed
        (shown by /rewind and /export; default `text`). Ctrl-C inside ends the turn, not the chat.
        When the message would not fit, the history is compacted first; SmallcoderError when even
        then it would not."""
        compacted = False
        if not self.context(attached=text).fits and len(self.messages) > 2:
            self.compact()
            compacted = True
        use = self.context(attached=text)
        if not use.fits:
            raise SmallcoderError(f"this message would not fit: {use.total:,} tokens of {use.window:,} "
                                  "(see /context; attach less or /clear)")
        if not self.recorded:
            self.agent.emit(RunStarted(self.run_id, user_text or text, str(self.wt.repo), str(self.wt.path),
                                          self.wt.branch, self.wt.base_commit, self.session.backend.name,
                                          self.prep.test_command, self.session.backend.context_window,
                                          self.prep.describe()))
            self.recorded = True
        self.state.undone.clear()  # a new turn ends the redo history, as in an editor
        turn = Turn(number=len(self.state.turns) + 1, user=user_text or text, start=len(self.messages),
                    before=self.snaps.take(f"chat {self.run_id}: before turn {len(self.state.turns) + 1}"))
        self.state.turns.append(turn)
        self._turn = turn
        started = time.perf_counter()
        compactions = self.agent.compactions
        try:
            outcome = run_turn(self.agent, text)
        finally:  # recorded even when an unexpected error ends the turn
            self._turn = None
            turn.after = self.snaps.take(f"chat {self.run_id}: after turn {turn.number}")
            self.busy_s += time.perf_counter() - started
            self.save()
        turn.status, turn.answer = outcome.status, outcome.answer
        if self.agent.compactions != compactions:  # summarised mid-turn: the turns' message marks are gone
            self._forget_history()
            compacted = True
        outcome.compacted = compacted
        self.turn_outcome = outcome
        self.save()
        return outcome

    def undo(self) -> Turn | None:
        """Take back the last turn: its file changes and its messages. None when there is none."""
        if not self.state.turns:
            return None
        turn = self.state.turns.pop()
        self.snaps.restore(turn.before)
        turn.messages = self.messages[turn.start:]
        del self.messages[turn.start:]
        self.state.undone.append(turn)
        self.save()
        return turn

    def redo(self) -> Turn | None:
        """Bring back the last undone turn: files as it left them, its messages after the current ones."""
        if not self.state.undone:
            return None
        turn = self.state.undone.pop()
        self.snaps.restore(turn.after)
        turn.start = len(self.messages)
        self.messages.extend(turn.messages)
        turn.messages = []
        self.state.turns.append(turn)
        self.save()
        return turn

    def rewind(self, number: int) -> list[Turn]:
        """Go back to just before turn `number` (1 = the first): later turns are undone (and redoable)."""
        if not 1 <= number <= len(self.state.turns):
            raise SmallcoderError(f"no turn {number}; turns are 1..{len(self.state.turns)}" if self.state.turns
                                  else "nothing to rewind: no turns yet")
        undone = []
        while len(self.state.turns) >= number:
            turn = self.undo()
            assert turn is not None
            undone.append(turn)
        return undone

    def clear(self) -> None:
        """A fresh conversation on the same worktree (files stay as they are; undo history is dropped)."""
        del self.messages[1:]
        self._forget_history()
        self.save()

    def compact(self) -> int:
        """Replace the history with a summary (agent/compact.py); returns the tokens saved. Turns so far can
        no longer be undone one by one."""
        before = self.context().history
        if len(self.messages) > 2:  # something after the first message to summarise
            self.agent.messages = compact(self.messages, self.agent.last_test)
            self.state.messages = self.agent.messages
            self._forget_history()
            self.save()
        return before - self.context().history

    def _forget_history(self) -> None:
        self.state.turns.clear()
        self.state.undone.clear()

    # -- the worktree ----------------------------------------------------------

    def diff(self, turn: int | None = None) -> str:
        """The whole change so far (against the user's state at the start), or what turn `turn` changed."""
        if turn is None:
            return self.snaps.diff_trees(self.base_tree, self.snaps.current_tree())
        match = [t for t in self.state.turns if t.number == turn]
        if not match:
            raise SmallcoderError(f"no turn {turn}" + (f"; turns are 1..{len(self.state.turns)}" if self.state.turns else ""))
        return self.snaps.diff(match[0].before, match[0].after)

    def apply(self) -> str:
        """Bring the change made since the last /apply into the user's working tree, all or nothing
        (WorkspaceError naming the conflicting files, nothing written). Returns the diff applied."""
        current = self.snaps.current_tree()
        patch = self.snaps.diff_trees(self.state.applied_tree, current)
        if patch.strip():
            apply_to_user_tree(self.wt, patch)
            self.state.applied_tree = current
            self.save()
        return patch

    def run_tests(self) -> TestRun | None:
        """The project's tests in the current mode's sandbox; None when no test command is known."""
        if not self.ctx.test_command:
            return None
        return self.agent.run_tests("step")

    def shell(self, command: str, timeout: float = 120.0) -> tuple[int | None, str]:
        """A command the user typed (`!cmd`), run in the worktree inside the current mode's sandbox."""
        from smallcoder.workspace.runner import run_command

        res = run_command(command, self.wt.path, timeout=timeout, max_output_chars=self.ctx.max_observation_chars,
                          env=self.ctx.env, wrap=self.ctx.wrap)
        return res.exit_code, res.output

    def context(self, attached: str = "") -> ContextUse:
        """Tokens of system prompt, tool schemas, history and `attached` text, counted by the backend."""
        backend, specs = self.session.backend, self.agent.specs
        system = backend.count_tokens(self.messages[:1], [])
        with_tools = backend.count_tokens(self.messages[:1], specs)
        everything = backend.count_tokens(self.messages, specs)
        extra = backend.count_tokens([*self.messages, Message("user", attached)], specs) - everything if attached else 0
        return ContextUse(system=system, tools=with_tools - system, history=everything - with_tools, attached=extra,
                          reply=self.agent.config.max_reply_tokens, window=backend.context_window)

    # -- the record --------------------------------------------------------------

    def save(self) -> None:
        """Write the conversation and the run's totals to the store (after each turn, undo, redo, apply)."""
        if not self.recorded:
            return
        self.state.messages = self.agent.messages
        self.state.steps = self.agent.steps
        agent, backend = self.agent, self.session.backend
        diff = self.diff()
        last = self.state.turns[-1] if self.state.turns else None
        reason = f"chat: {len(self.state.turns)} turn(s)" + (f", last {last.status}" if last and last.status else "")
        result = RunResult(
            run_id=self.run_id, status="changed-unverified" if diff.strip() else "unresolved", reason=reason,
            repo=str(self.wt.repo), worktree=str(self.wt.path), branch=self.wt.branch,
            base_commit=self.wt.base_commit, commit=None, diff=diff, test_command=self.prep.test_command,
            tests_before=None, tests_after=agent.last_test, steps=agent.steps, model_calls=agent.model_calls,
            usage=agent.usage or Usage(), wall_s=self.busy_s, model=backend.name, stop_reason="chat",
            stop_message=last.answer if last else "",
        )
        extra: dict[str, Any] = {"kind": "chat", "chat": self.state.to_json(), "isolation": self.sandbox.record(),
                                 **backend.run_record}
        self.agent.emit(RunFinished(self.run_id, result, extra=extra))

    def close(self) -> None:
        """Save and release the sandboxes. A chat that never had a turn leaves nothing behind."""
        for sandbox in self._sandboxes.values():
            sandbox.close()
        if not self.recorded:
            remove_worktree(self.wt.path, self.wt.repo)
            git(["branch", "-q", "-D", self.wt.branch], self.wt.repo, ok_codes=(0, 1))


def _file_list(worktree: Path) -> dict[str, Any]:
    """The first files of the repository (git's order), for the system prompt; fixed for the whole chat."""
    try:
        names = git_out(["ls-files", "--cached", "--others", "--exclude-standard"], worktree).splitlines()
    except (WorkspaceError, subprocess.SubprocessError):
        names = []
    return {"files": names[:MAX_LISTED_FILES], "more": max(0, len(names) - MAX_LISTED_FILES)}

