"""Never send a prompt that does not fit: the check, and the message that says what to do.

The fix for a too-small window depends on who owns it: our --ctx for the embedded
engine and for Ollama (we choose num_ctx), the server's launch flags for
llama-server, llama-cpp-python and vLLM, the load settings in LM Studio. Each backend
says which through its `context_advice(tokens)`.
"""

from __future__ import annotations

from smallcoder.backends.base import Backend
from smallcoder.errors import BackendError, ConfigError
from smallcoder.types import Message, ToolSpec

ROUND_TO = 1024


def round_up(tokens: int) -> int:
    return -(-tokens // ROUND_TO) * ROUND_TO


def too_small_message(backend: Backend, needed: int) -> str:
    n = round_up(needed)
    return f"context {backend.context_window} is too small for this task; {backend.context_advice(n)} (it needs at least {n})"


def overflows(backend: Backend, prompt_tokens: int, reply_tokens: int) -> bool:
    """The one window-fit rule: a prompt fits when it leaves room for a whole reply."""
    return prompt_tokens + reply_tokens > backend.context_window


def check_fits(backend: Backend, messages: list[Message], tools: list[ToolSpec], reply_tokens: int) -> int:
    """Raise ConfigError unless `messages` plus room for a reply fit the window; returns the prompt size."""
    prompt = backend.count_tokens(messages, tools)
    if overflows(backend, prompt, reply_tokens):
        raise ConfigError(too_small_message(backend, prompt + reply_tokens))
    return prompt


def check_chat_request(backend: Backend, messages: list[Message], tools: list[ToolSpec], reply_tokens: int,
                       prefill: str) -> int:
    """A chat server's request before it is sent: BackendError when the reply is to start with given text
    (chat endpoints have no portable way to do that, so Capabilities.prefill is off for them) or when the
    prompt leaves no room for a whole reply; returns the prompt size in tokens."""
    if prefill:
        raise BackendError(f"{backend.name} cannot start a reply with given text")
    prompt = backend.count_tokens(messages, tools)
    if overflows(backend, prompt, reply_tokens):
        raise BackendError(too_small_message(backend, prompt + reply_tokens))
    return prompt
