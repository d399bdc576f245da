"""Data that crosses layers: messages, tool calls, model completions, usage.

Plain dataclasses so every layer (backends, protocol, agent, store) can share
them without importing each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass
class ToolCall:
    """One call of a tool, as understood from the model's output."""

    name: str
    arguments: dict[str, Any]
    id: str = ""


@dataclass
class Message:
    """One chat message. Assistant messages may carry tool calls; tool messages answer one."""

    role: Role
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None


@dataclass
class ToolSpec:
    """What the model is told about a tool: name, description and a JSON schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]

    def as_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


@dataclass
class Usage:
    """Token accounting for one model call. cached_tokens: prompt tokens served from the KV cache."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cached_tokens + other.cached_tokens,
        )


@dataclass
class Completion:
    """A model's answer to one request, before any parsing of tool calls from its text."""

    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)  # set only by backends that parse natively
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    finish_reason: str = "stop"
    ttft_s: float | None = None  # time to first token: mostly prompt processing; None when not streamed
    tokens_per_s: float | None = None  # generation speed, as the runtime reports or as measured
    # Where usage.cached_tokens comes from: "kv" (our own KV-cache bookkeeping), "usage"
    # (prompt_tokens_details.cached_tokens), "timings" (llama.cpp), "" = the runtime does not say.
    cache_source: str = ""
    # Where latency_s went, in seconds: evaluating the prompt, and generating the reply. From the runtime's
    # own timers where it reports them (llama-server `timings.prompt_ms`/`predicted_ms`, Ollama
    # `prompt_eval_duration`/`eval_duration`), else time to first token and the rest. None = unknown.
    prompt_s: float | None = None
    generation_s: float | None = None
    # Why smallcoder stopped the stream itself before the model ended it ("" = it did not): a complete
    # tool call, too much prose before any code or call, a repeat of an earlier answer (agent/stream_stop.py).
    cut: str = ""


# Characters per token of code and English in the BPE vocabularies of the models smallcoder targets (Qwen2.5:
# 3.2–4). The one figure for turning a token budget into characters and for estimating where no tokenizer is
# at hand. Where counting too few tokens could overflow a window, the estimate leans high by a sixth.
CHARS_PER_TOKEN = 3.5
CAUTION = 7 / 6


def estimate_tokens(text: str, *, cautious: bool = False) -> int:
    """Tokens of `text` without a tokenizer; `cautious` errs on the large side (≈3 chars a token)."""
    tokens = len(text) / CHARS_PER_TOKEN * (CAUTION if cautious else 1.0)
    return max(1, math.ceil(tokens)) if text else 0
