"""The contract every model backend meets.

A backend moves messages to a model and back, and reports the facts the
agent plans with: the real context window, how to count tokens, and which
tool-call dialect the model writes when it writes calls as text.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from smallcoder.types import Completion, Message, ToolSpec


@runtime_checkable
class Backend(Protocol):
    name: str
    context_window: int
    dialect: str | None  # tool-call text format the model writes ("hermes", "qwen3_xml", ...), None = detect

    def complete(
        self, messages: list[Message], tools: list[ToolSpec], *, max_tokens: int, temperature: float | None = None
    ) -> Completion:
        """Send the whole conversation; the history must only ever grow so the KV cache is reused.

        temperature: None = the backend's configured default; the agent raises it to break repetition.
        """
        ...

    def count_tokens(self, messages: list[Message], tools: list[ToolSpec]) -> int:
        """Prompt size in tokens of this conversation, as the model would see it."""
        ...

    def close(self) -> None: ...
