"""Read one streamed OpenAI chat completion: text, tool-call fragments, usage and llama.cpp timings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smallcoder.backends.stream_clock import StreamClock
from smallcoder.backends.wire import calls_from_openai
from smallcoder.types import ToolCall


@dataclass
class StreamResult:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None  # usage.prompt_tokens_details.cached_tokens
    timings: dict[str, Any] | None = None  # llama-server's own figures (cache_n, prompt_n, predicted_n, …)
    text_chunks: int = 0


class EmptyStream(Exception):
    """The stream ended with no answer and no finish reason. llama-cpp-python's server does this
    when the request fails after the 200 went out (an over-long prompt, for one)."""


def read_stream(chunks: Iterable[Any], clock: StreamClock) -> StreamResult:
    out = StreamResult()
    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        extra = getattr(chunk, "model_extra", None) or {}
        if isinstance(extra.get("timings"), dict):
            out.timings = extra["timings"]
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            _read_usage(usage, out)
        for choice in getattr(chunk, "choices", None) or []:
            delta = choice.delta
            if delta is not None and delta.content:
                out.text_chunks += 1
                clock.text(delta.content)
            for frag in (delta.tool_calls if delta is not None else None) or []:
                clock.token()
                slot = calls.setdefault(frag.index if frag.index is not None else len(calls),
                                        {"id": "", "function": {"name": "", "arguments": ""}})
                if frag.id:
                    slot["id"] = frag.id
                if frag.function is not None:
                    slot["function"]["name"] += frag.function.name or ""
                    slot["function"]["arguments"] += frag.function.arguments or ""
            if choice.finish_reason:
                out.finish_reason = choice.finish_reason
    out.text = clock.joined
    out.tool_calls = calls_from_openai([calls[i] for i in sorted(calls)])
    if out.finish_reason is None and not out.text and not out.tool_calls:
        raise EmptyStream("the server ended the stream without an answer")
    return out


def read_response(response: Any, clock: StreamClock) -> StreamResult:
    """The same figures from a non-streamed ChatCompletion."""
    out = StreamResult()
    if response.usage is not None:
        _read_usage(response.usage, out)
    extra = getattr(response, "model_extra", None) or {}
    if isinstance(extra.get("timings"), dict):
        out.timings = extra["timings"]
    choice = response.choices[0] if response.choices else None
    if choice is not None:
        clock.text(choice.message.content)
        raw = [c.model_dump() for c in choice.message.tool_calls or []]
        out.tool_calls = calls_from_openai(raw)
        out.finish_reason = choice.finish_reason
    out.text = clock.joined
    return out


def _read_usage(usage: Any, out: StreamResult) -> None:
    if isinstance(usage.prompt_tokens, int):
        out.prompt_tokens = usage.prompt_tokens
    if isinstance(usage.completion_tokens, int):
        out.completion_tokens = usage.completion_tokens
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    if isinstance(cached, int):
        out.cached_tokens = cached
