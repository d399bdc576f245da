"""One chat turn on the generic agent loop: the user's message appended with `Agent.continue_with`, then
model and tools until the model answers in words (agent/policy.Policy ends the turn on a prose reply).

    outcome = run_turn(agent, "why does mean() fail?")

The history only ever grows within a turn, so each request's prompt starts with the previous one byte for
byte and a server's KV cache is reused. What this adds to the loop is what an interactive user needs:
Ctrl-C ends the turn, not the chat, and leaves a history the next request can be built on (every call the
model made has a result, the interrupted ones say so).
"""

from __future__ import annotations

from dataclasses import dataclass

from smallcoder.agent.loop import Agent
from smallcoder.errors import BackendError
from smallcoder.types import Message

INTERRUPTED = "(interrupted by the user before this call finished)"

# The loop's stop reasons, as a chat turn names them.
STATUS = {"answered": "answered", "submitted": "submitted", "limits_exceeded": "limit",
          "format_errors": "format_errors", "cancelled": "interrupted"}


@dataclass
class TurnOutcome:
    """How a turn ended: status is answered | submitted | limit | format_errors | interrupted | error."""

    status: str
    answer: str  # the model's closing words (or why the turn stopped)
    steps: int  # model calls made in this turn
    compacted: bool = False  # the history was summarised before this turn to make room


def run_turn(agent: Agent, user_text: str) -> TurnOutcome:
    """Append `user_text` and drive the loop until the turn ends. KeyboardInterrupt and backend failures
    end the turn with the history left consistent; the session goes on."""
    steps_before = agent.steps
    try:
        outcome = agent.continue_with(user_text)
    except KeyboardInterrupt:
        close_open_calls(agent)
        return TurnOutcome("interrupted", "stopped by the user (Ctrl-C)", agent.steps - steps_before)
    except BackendError as e:
        close_open_calls(agent)
        return TurnOutcome("error", str(e), agent.steps - steps_before)
    return TurnOutcome(STATUS.get(outcome.status, outcome.status), outcome.reason.strip(),
                       agent.steps - steps_before)


def close_open_calls(agent: Agent) -> int:
    """Give every call of the last assistant message a result (INTERRUPTED) when it has none yet, so the
    next request is well formed. Returns how many were closed."""
    last = next((i for i in range(len(agent.messages) - 1, -1, -1) if agent.messages[i].role == "assistant"), None)
    if last is None:
        return 0
    reply = agent.messages[last]
    calls = agent.config.parse(reply.content, agent.specs, agent.backend.dialect, reply.tool_calls or None).calls
    answered = sum(1 for m in agent.messages[last + 1:] if m.role == "tool")
    for call in calls[answered:]:
        agent.messages.append(Message("tool", INTERRUPTED, tool_call_id=call.id or None, name=call.name))
    return max(0, len(calls) - answered)
