"""Prompt size for servers whose chat template we do not render ourselves.

Two sources of truth, combined:
- the model's own tokenizer for each message's text, when the runtime offers one
  (llama-server /tokenize, llama-cpp-python /extras/tokenize/count, vLLM /tokenize,
  or the GGUF behind an Ollama model); a cautious character estimate otherwise;
- the prompt size the server reported for the previous request. The history only
  grows, so the next prompt is that figure plus the new messages. The template's
  own overhead is then counted exactly instead of guessed.

The estimate errs on the large side: counting too many tokens wastes a little
context, counting too few lets a server truncate or reject the prompt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from smallcoder import types
from smallcoder.types import Message, ToolSpec

PER_MESSAGE = 6  # role markers and separators around each message (ChatML: <|im_start|>role\n … <|im_end|>\n)
TOOLS_PREAMBLE = 160  # what a chat template writes around the tool schemas (Qwen2.5: ~120 tokens)


def estimate_tokens(text: str) -> int:
    return types.estimate_tokens(text, cautious=True)  # over-counts a little: never lets a server truncate


def _fingerprint(m: Message) -> str:
    calls = [(c.name, c.arguments, c.id) for c in m.tool_calls]
    raw = json.dumps([m.role, m.content, calls, m.tool_call_id, m.name], sort_keys=True, default=str)
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


def _tools_fingerprint(tools: list[ToolSpec]) -> str:
    raw = json.dumps([t.as_openai() for t in tools], sort_keys=True)
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


@dataclass
class _Anchor:
    messages: list[str]
    tools: str
    prompt_tokens: int


class PromptCounter:
    """count(messages, tools) → tokens; observe(...) after each reply with the server's own figure."""

    def __init__(self, tokenize: Callable[[str], int] | None = None) -> None:
        self.tokenize = tokenize
        self.exact = tokenize is not None
        self._cache: dict[str, int] = {}
        self._anchor: _Anchor | None = None

    def text_tokens(self, text: str) -> int:
        if not text:
            return 0
        key = hashlib.sha1(text.encode("utf-8")).hexdigest()
        if key not in self._cache:
            n = None
            if self.tokenize is not None:
                try:
                    n = self.tokenize(text)
                except Exception:  # a tokenizer endpoint that fails once is not worth failing the run
                    self.tokenize, self.exact = None, False
            self._cache[key] = n if n is not None else estimate_tokens(text)
        return self._cache[key]

    def message_tokens(self, m: Message) -> int:
        n = PER_MESSAGE + self.text_tokens(m.content)
        for call in m.tool_calls:
            n += 8 + self.text_tokens(call.name) + self.text_tokens(json.dumps(call.arguments, ensure_ascii=False))
        return n

    def tools_tokens(self, tools: list[ToolSpec]) -> int:
        if not tools:
            return 0
        return TOOLS_PREAMBLE + self.text_tokens(json.dumps([t.as_openai() for t in tools], ensure_ascii=False))

    def count(self, messages: list[Message], tools: list[ToolSpec]) -> int:
        prints = [_fingerprint(m) for m in messages]
        a = self._anchor
        if a and a.tools == _tools_fingerprint(tools) and prints[: len(a.messages)] == a.messages:
            return a.prompt_tokens + sum(self.message_tokens(m) for m in messages[len(a.messages):])
        return 3 + self.tools_tokens(tools) + sum(self.message_tokens(m) for m in messages)

    def observe(self, messages: list[Message], tools: list[ToolSpec], prompt_tokens: int) -> None:
        """The server read `prompt_tokens` for exactly these messages and tools."""
        if prompt_tokens > 0:
            self._anchor = _Anchor([_fingerprint(m) for m in messages], _tools_fingerprint(tools), prompt_tokens)
