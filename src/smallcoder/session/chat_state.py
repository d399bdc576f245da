"""A chat's state as plain data: what the run store keeps (the `chat` key of the run's extra) so that
`smallcoder chat --resume ID` rebuilds the conversation byte for byte, and what `/export` writes.

    state = ChatState(messages=[...], turns=[...])
    stored = state.to_json()            # JSON-ready dict
    again = ChatState.from_json(stored) # equal messages, in the same order, with the same bytes
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from smallcoder.errors import SmallcoderError
from smallcoder.types import Message, ToolCall

STATE_VERSION = 1


@dataclass
class Turn:
    """One user message and everything the model and tools did for it.

    start: index of the turn's user message in the conversation; before/after: worktree snapshots
    (commit shas, workspace/snapshots.py) at its start and end; tool_snapshots: one before each edit or command.
    messages: the turn's own messages, kept while the turn is undone so /redo can bring them back.
    """

    number: int
    user: str
    start: int
    before: str
    after: str = ""
    status: str = ""
    answer: str = ""
    tool_snapshots: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    def to_json(self, *, with_messages: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "number": self.number, "user": self.user, "start": self.start, "before": self.before,
            "after": self.after, "status": self.status, "answer": self.answer,
            "tool_snapshots": list(self.tool_snapshots),
        }
        if with_messages:
            out["messages"] = [message_to_json(m) for m in self.messages]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Turn:
        return cls(number=int(data["number"]), user=str(data["user"]), start=int(data["start"]),
                   before=str(data["before"]), after=str(data.get("after", "")), status=str(data.get("status", "")),
                   answer=str(data.get("answer", "")), tool_snapshots=[str(s) for s in data.get("tool_snapshots", [])],
                   messages=[message_from_json(m) for m in data.get("messages", [])])


@dataclass
class ChatState:
    """The conversation, its turns (oldest first), the undone turns (/redo takes the last one first),
    the tree last brought into the user's checkout by /apply, and the mode."""

    messages: list[Message] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    undone: list[Turn] = field(default_factory=list)
    applied_tree: str = ""
    mode: str = "auto"
    steps: int = 0  # model calls so far, across turns: the step numbers of the run record continue from here

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "messages": [message_to_json(m) for m in self.messages],
            "turns": [t.to_json(with_messages=False) for t in self.turns],
            "undone": [t.to_json(with_messages=True) for t in self.undone],
            "applied_tree": self.applied_tree, "mode": self.mode, "steps": self.steps,
        }

    @classmethod
    def from_json(cls, data: Any) -> ChatState:
        """Raises SmallcoderError (one line) when the stored state is missing or from a newer smallcoder."""
        if not isinstance(data, dict) or "messages" not in data:
            raise SmallcoderError("this run holds no chat conversation to resume (was it a `fix` run?)")
        if int(data.get("version", 0)) > STATE_VERSION:
            raise SmallcoderError("this chat was saved by a newer smallcoder; upgrade to resume it")
        return cls(messages=[message_from_json(m) for m in data["messages"]],
                   turns=[Turn.from_json(t) for t in data.get("turns", [])],
                   undone=[Turn.from_json(t) for t in data.get("undone", [])],
                   applied_tree=str(data.get("applied_tree", "")), mode=str(data.get("mode", "auto")),
                   steps=int(data.get("steps", 0)))


def message_to_json(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.tool_calls:
        out["tool_calls"] = [{"name": c.name, "arguments": c.arguments, "id": c.id} for c in m.tool_calls]
    if m.tool_call_id is not None:
        out["tool_call_id"] = m.tool_call_id
    if m.name is not None:
        out["name"] = m.name
    return out


def message_from_json(d: dict[str, Any]) -> Message:
    calls = [ToolCall(str(c["name"]), dict(c.get("arguments") or {}), str(c.get("id", ""))) for c in d.get("tool_calls", [])]
    return Message(d["role"], str(d["content"]), tool_calls=calls, tool_call_id=d.get("tool_call_id"), name=d.get("name"))


def export_jsonl(messages: list[Message]) -> str:
    """One JSON object per message, one per line (the OpenAI chat message shape)."""
    return "".join(json.dumps(message_to_json(m), ensure_ascii=False) + "\n" for m in messages)


def export_markdown(messages: list[Message], title: str) -> str:
    """A readable transcript: the user's messages and the answers as text, tool calls and results folded."""
    lines = [f"# {title}", ""]
    for m in messages:
        if m.role == "system":
            continue
        if m.role == "user":
            lines += ["## You", "", m.content, ""]
        elif m.role == "assistant":
            lines += ["## smallcoder", "", m.content.strip() or "(tool call)", ""]
            lines += [f"> called `{c.name}({json.dumps(c.arguments, ensure_ascii=False)})`" for c in m.tool_calls]
        else:
            first = next((ln for ln in m.content.splitlines() if ln.strip()), "(no output)")
            lines += [f"<details><summary>{m.name or 'tool'}: {first[:100]}</summary>", "", "```",
                      m.content, "```", "", "</details>", ""]
    return "\n".join(lines).rstrip() + "\n"
