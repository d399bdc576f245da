"""One chat turn: the user's message appended to the ongoing conversation, then model and tools until
the model answers in words.

    outcome = run_turn(agent, "why does mean() fail?", before_tool=snaps_hook, max_steps=20)

The fix pipeline's policy (tests must pass, submit refusals, fresh attempts that
reset the worktree) does not apply to a conversation: a turn ends when the
model replies without a tool call (that reply is its answer), when it calls
submit, at the per-turn step limit, or when the user presses Ctrl-C. The
history only ever grows within a turn, so each request's prompt starts with
the previous one byte for byte and a server's KV cache is reused.

The agent's own parts do the rest: `Agent.execute` (approval, redaction,
tests after edits, the stuck detector), its parser setting, its observers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from smallcoder.agent.compact import compact
from smallcoder.agent.events import FormatProblem, ModelCalled, StepStarted
from smallcoder.agent.loop import Agent
from smallcoder.errors import AgentInterrupt, BackendError
from smallcoder.protocol import format_error_message
from smallcoder.types import Message, ToolCall

INTERRUPTED = "(interrupted by the user before this call ran)"


@dataclass
class TurnOutcome:
    """How a turn ended: status is answered | submitted | limit | stuck | format_errors | interrupted | error."""

    status: str
    answer: str  # the model's closing words (or why the turn stopped)
    steps: int  # model calls made in this turn
    compacted: bool = False


def run_turn(agent: Agent, user_text: str, *, max_steps: int = 20,
             before_tool: Callable[[ToolCall], None] | None = None) -> TurnOutcome:
    """Append `user_text` and drive the model until it answers. `before_tool` runs before each tool call
    (the chat snapshots the worktree there). KeyboardInterrupt is caught: the turn ends "interrupted" with
    the history left consistent (every recorded call has a result), and the session goes on."""
    agent.messages.append(Message("user", user_text))
    state = _Turn(agent, max_steps, before_tool, user_text)
    try:
        return state.drive()
    except KeyboardInterrupt:
        state.close_open_calls()
        return TurnOutcome("interrupted", "stopped by the user (Ctrl-C)", state.steps, state.compacted)
    except BackendError as e:
        return TurnOutcome("error", str(e), state.steps, state.compacted)


class _Turn:
    def __init__(self, agent: Agent, max_steps: int, before_tool: Callable[[ToolCall], None] | None,
                 user_text: str) -> None:
        self.agent, self.max_steps, self.before_tool = agent, max_steps, before_tool
        self.user_text = user_text
        self.steps = 0
        self.compacted = False
        self.format_errors = 0
        self.open_calls: list[ToolCall] = []  # calls of the last assistant message not yet answered

    def drive(self) -> TurnOutcome:
        agent = self.agent
        while True:
            if self.steps >= self.max_steps:
                return TurnOutcome("limit", f"stopped after {self.max_steps} steps in this turn; say how to go on",
                                   self.steps, self.compacted)
            self.steps += 1
            agent.steps += 1
            self._fit()
            completion = agent.backend.complete(agent.messages, agent.specs,
                                                max_tokens=agent.config.max_reply_tokens,
                                                temperature=agent.temperature)
            agent.model_calls += 1
            agent.usage = agent.usage + completion.usage
            agent.emit(ModelCalled(agent.run_id, agent.steps, completion))
            if not completion.text.strip() and not completion.tool_calls:
                self.format_errors += 1
                agent.emit(FormatProblem(agent.run_id, agent.steps, "the model returned an empty reply"))
                if self.format_errors >= agent.config.max_format_errors:
                    return TurnOutcome("format_errors", "the model returned empty replies", self.steps, self.compacted)
                continue
            agent.messages.append(Message("assistant", completion.text, tool_calls=completion.tool_calls))
            parsed = agent.config.parse(completion.text, agent.specs, agent.backend.dialect,
                                        completion.tool_calls or None)
            if not parsed.calls and not parsed.errors:
                return TurnOutcome("answered", completion.text.strip(), self.steps, self.compacted)
            if not parsed.calls:
                self.format_errors += 1
                message = format_error_message(parsed, agent.specs, agent.backend.dialect)
                agent.emit(FormatProblem(agent.run_id, agent.steps, message))
                agent.messages.append(Message("user", message))
                if self.format_errors >= agent.config.max_format_errors:
                    return TurnOutcome("format_errors", f"{self.format_errors} replies without a usable tool call",
                                       self.steps, self.compacted)
                continue
            self.format_errors = 0
            done = self._run_calls(parsed.calls)
            if parsed.errors:
                agent.messages.append(Message("user", format_error_message(parsed, agent.specs, agent.backend.dialect)))
            if done is not None:
                return done

    def _run_calls(self, calls: list[ToolCall]) -> TurnOutcome | None:
        agent = self.agent
        self.open_calls = list(calls)
        outcome: TurnOutcome | None = None
        while self.open_calls:
            call = self.open_calls[0]
            if call.name == "submit":  # the fix tool set's way to finish; in a chat it is the answer
                summary = str((call.arguments or {}).get("summary", "")).strip() or "done"
                self._answer(call, "ok")
                outcome = TurnOutcome("submitted", summary, self.steps, self.compacted)
                continue
            if self.before_tool:
                self.before_tool(call)
            try:
                observation = agent.execute(call)
            except AgentInterrupt as stop:  # the stuck detector's limit
                self._answer(call, f"Error: {stop.message}")
                self.close_open_calls()
                return TurnOutcome("stuck", stop.message, self.steps, self.compacted)
            self._answer(call, observation)
        return outcome

    def _answer(self, call: ToolCall, content: str) -> None:
        self.agent.messages.append(Message("tool", content, tool_call_id=call.id or None, name=call.name))
        self.open_calls.pop(0)

    def close_open_calls(self) -> None:
        """Every call the history holds gets a result, so the next request is well formed."""
        while self.open_calls:
            self._answer(self.open_calls[0], INTERRUPTED)

    def _fit(self) -> None:
        """Compact once when the history outgrows the window (agent/compact.py keeps system + first message)."""
        agent = self.agent
        budget = agent.backend.context_window - agent.config.max_reply_tokens
        tokens = agent.backend.count_tokens(agent.messages, agent.specs)
        if tokens > budget and len(agent.messages) > 3:
            agent.messages = compact(agent.messages, agent.last_test)
            agent.messages.append(Message("user", self.user_text))  # the summary covers what came before it
            self.compacted = True
            tokens = agent.backend.count_tokens(agent.messages, agent.specs)
        agent.emit(StepStarted(agent.run_id, agent.steps, tokens))
