"""Read one streamed OpenAI chat completion: text, tool-call fragments, usage and llama.cpp timings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smallcoder.backends.stream_clock import StreamClock, close_stream
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
    """The answer in `chunks` (the openai client's stream, or dicts of the same shape), read until it ends or
    the clock's stop check ends it (then the stream is closed and usage/timings are what arrived so far)."""
    out = StreamResult()
    calls = ToolCallDeltas()
    for chunk in chunks:
        extra = getattr(chunk, "model_extra", None) or {}
        if isinstance(extra.get("timings"), dict):
            out.timings = extra["timings"]
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            _read_usage(usage, out)
        for choice in getattr(chunk, "choices", None) or []:
            delta = choice.delta
            content = getattr(delta, "content", None) if delta is not None else None
            if content:
                out.text_chunks += 1
                if clock.text(content):  # the caller's stop check: hang up, the server stops generating
                    close_stream(chunks)
                    out.finish_reason = "stop"
                    break
            for frag in (getattr(delta, "tool_calls", None) if delta is not None else None) or []:
                clock.token()
                calls.add(frag)
            if choice.finish_reason:
                out.finish_reason = choice.finish_reason
        if clock.cut:
            break
    out.text = clock.joined
    out.tool_calls = calls_from_openai(calls.assembled())
    if out.finish_reason is None and not out.text and not out.tool_calls:
        raise EmptyStream("the server ended the stream without an answer")
    return out


class ToolCallDeltas:
    """Assembles streamed tool-call fragments into whole calls the way real servers send them.

    The OpenAI stream format sends each call as fragments (`choices[].delta.tool_calls[]`) with an
    `index` naming the call, the `id` and `function.name` in the first fragment and `function.arguments`
    as pieces of a JSON string. Servers stray from it in ways seen in public trackers (vLLM, llama.cpp,
    LM Studio, mistral.rs, proxies):
    - fragments without `index` continue the call being streamed; one with a new id or a new name
      after arguments started is the next call;
    - the name, the id or the type re-sent in every fragment: set once, never concatenated;
    - an id that arrives after the first fragment, or never (one is made up later);
    - every call sent with index 0, told apart only by their ids;
    - the whole arguments text re-sent at the end (or in every fragment) instead of only the new piece;
    - arguments split anywhere: inside an escape, or between the two halves of a surrogate pair
      (an emoji sent as two JSON escapes in two chunks).
    Input: the fragment objects of the openai client (or dicts of the same shape); output of
    `assembled()`: OpenAI-shaped dicts {"id", "type", "function": {"name", "arguments"}}, in order.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.by_index: dict[int, int] = {}  # the server's index -> position in self.calls
        self.current: int | None = None

    def add(self, frag: Any) -> None:
        index = _field(frag, "index")
        call_id = _field(frag, "id") or ""
        function = _field(frag, "function")
        name = (_field(function, "name") or "") if function is not None else ""
        arguments = _field(function, "arguments") if function is not None else None
        if arguments is not None and not isinstance(arguments, str):
            arguments = json.dumps(arguments)  # a server that sends the arguments as an object
        pos = self._slot(index if isinstance(index, int) else None, call_id, name, arguments or "")
        call = self.calls[pos]
        if call_id and not call["id"]:
            call["id"] = call_id
        fn = call["function"]
        if name and name != fn["name"]:
            # a re-sent name is set once; a name sent in pieces is joined; a grown name replaces
            fn["name"] = name if name.startswith(fn["name"]) else fn["name"] + name
        if arguments:
            fn["arguments"] = _extend_arguments(fn["arguments"], arguments)
        self.current = pos

    def _slot(self, index: int | None, call_id: str, name: str, arguments: str) -> int:
        if index is not None and index in self.by_index:
            pos = self.by_index[index]
            if not self._starts_another(self.calls[pos], call_id, name, arguments):
                return pos
        elif index is None and self.current is not None:
            if not self._starts_another(self.calls[self.current], call_id, name, arguments):
                return self.current
        self.calls.append({"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
        pos = len(self.calls) - 1
        if index is not None:
            self.by_index[index] = pos
        return pos

    @staticmethod
    def _starts_another(call: dict[str, Any], call_id: str, name: str, arguments: str) -> bool:
        """A fragment starts the next call when it carries an id other than the call's own, or, once the
        call's arguments are complete JSON, a name with another name or with new arguments (a re-sent
        whole arguments text is not new)."""
        if call_id and call["id"] and call_id != call["id"]:
            return True
        fn = call["function"]
        if not name or not fn["name"] or not _complete_json(fn["arguments"]):
            return False
        return name != fn["name"] or bool(arguments.strip() and not arguments.startswith(fn["arguments"]))

    def assembled(self) -> list[dict[str, Any]]:
        out = []
        for call in self.calls:
            fn = call["function"]
            if not fn["name"] and not fn["arguments"].strip():
                continue  # an empty fragment (some servers open with one)
            out.append({**call, "function": {**fn, "arguments": _join_surrogates(fn["arguments"], "replace")}})
        return out


def _field(obj: Any, name: str) -> Any:
    """A field of a fragment, absent or None alike: clients build fragments without validation."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _extend_arguments(so_far: str, piece: str) -> str:
    # Some servers send the whole arguments text again (at the end, or every time): keep it once.
    joined = _join_surrogates(so_far + piece)
    if so_far and _complete_json(so_far) and joined.startswith(so_far) and _complete_json(joined[len(so_far):]):
        return joined[len(so_far):]
    return joined


def _complete_json(text: str) -> bool:
    if not text.strip():
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _join_surrogates(text: str, lone: str = "surrogatepass") -> str:
    """Two halves of a surrogate pair decoded from separate chunks become the one character they encode;
    a half still alone stays (its other half may be in the next chunk), or becomes U+FFFD with lone="replace"."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", lone)


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
