"""The contract every model backend meets.

A backend moves messages to a model and back, and reports the facts the
agent plans with: the real context window, how to count tokens, which
tool-call dialect the model writes when it writes calls as text, and — as
declared data, never probed — what else it can do (`Capabilities`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from smallcoder.types import Completion, Message, ToolSpec

OnText = Callable[[str], None]  # receives each piece of streamed text as it arrives
# Given the whole text streamed so far, "" to go on or the reason to end the stream now (agent/stream_stop.py).
StopCheck = Callable[[str], str]


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do beyond `complete`; fixed when it is opened (a server's answer may lower
    `native_tools` later, e.g. a chat template without tool support)."""

    native_tools: bool = False  # sends tool schemas in the request and reads structured `tool_calls` back
    fim: bool = False  # has `infill(prefix, suffix, …)` for fill-in-the-middle completion
    cached_tokens: bool = False  # reports how many prompt tokens came from its KV/prompt cache
    streaming: bool = False  # calls `on_text` with text as it is generated
    prefill: bool = False  # `complete(prefill=…)` starts the reply with given text (the model continues it)


@runtime_checkable
class Backend(Protocol):
    name: str
    context_window: int
    dialect: str | None  # tool-call text format the model writes ("hermes", "qwen3_xml", ...), None = detect
    on_text: OnText | None  # set by a session to show the answer as it is written (when `streaming`)

    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def run_record(self) -> dict[str, Any]:
        """What the run record keeps about the model's endpoint: runtime, URL, whether code left the machine."""
        ...

    def complete(
        self, messages: list[Message], tools: list[ToolSpec], *, max_tokens: int, temperature: float | None = None,
        stop: StopCheck | None = None, prefill: str = "",
    ) -> Completion:
        """Send the whole conversation; the history must only ever grow so the KV cache is reused.

        temperature: None = the backend's configured default; the agent raises it to break repetition.
        stop: passed only to backends that declare `streaming`; checked after each streamed piece, and when
        it names a reason the stream is ended there and the reason is the completion's `cut`.
        prefill: passed only to backends that declare `prefill` (others raise BackendError): the reply begins
        with that text (generation continues it), and the completion's text includes it.
        """
        ...

    def count_tokens(self, messages: list[Message], tools: list[ToolSpec]) -> int:
        """Prompt size in tokens of this conversation, as the model would see it."""
        ...

    def context_advice(self, tokens: int) -> str:
        """How the user gets a window of `tokens`: our --ctx, or the server's own launch flag."""
        ...

    def close(self) -> None: ...


def ctx_flag_advice(tokens: int) -> str:
    """The advice when smallcoder itself chooses the window (embedded engine, Ollama's num_ctx)."""
    return f"run with --ctx {tokens} or more"
