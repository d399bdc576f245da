"""A backend that replays prepared model outputs: for tests, demos and replays.

Declared `streaming`, it sends each output through the same StreamClock the real
backends use, a few characters at a time (`piece_chars`, about a token), so the
caller's stop check sees the text grow as it would from a model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smallcoder.backends.base import Capabilities, OnText, StopCheck, ctx_flag_advice
from smallcoder.backends.stream_clock import StreamClock
from smallcoder.errors import BackendError, ConfigError
from smallcoder.types import Completion, Message, ToolSpec, Usage, estimate_tokens


def _estimate_tokens(text: str) -> int:
    return max(1, estimate_tokens(text))


@dataclass
class ScriptedBackend:
    """Returns `outputs` one after another. Records what it was sent in `requests`."""

    outputs: list[str | Completion]
    name: str = "scripted"
    context_window: int = 32_768
    dialect: str | None = "hermes"
    requests: list[list[Message]] = field(default_factory=list)
    temperatures: list[float | None] = field(default_factory=list)
    on_text: OnText | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    run_record: dict[str, Any] = field(default_factory=lambda: {"runtime": "scripted"})
    piece_chars: int = 4  # streamed piece size when `capabilities.streaming`
    prefills: list[str] = field(default_factory=list)  # per request, the reply's given start ("" = none)
    streamed: list[str] = field(default_factory=list)  # per request, the text actually streamed (a cut shortens it)

    def context_advice(self, tokens: int) -> str:
        return ctx_flag_advice(tokens)

    @classmethod
    def from_file(cls, path: Path) -> ScriptedBackend:
        """A JSON list of strings (the model's raw outputs)."""
        try:
            outputs = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ConfigError(f"cannot read scripted outputs from {path}: {e}") from e
        if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
            raise ConfigError(f"{path} must hold a JSON list of strings (one model output each)")
        return cls(outputs=list(outputs), name=f"scripted:{path.name}")

    def complete(
        self, messages: list[Message], tools: list[ToolSpec], *, max_tokens: int, temperature: float | None = None,
        stop: StopCheck | None = None, prefill: str = "",
    ) -> Completion:
        """The next prepared output (a Completion as is; a string streamed when `streaming` is declared, so
        `stop` can cut it). With `prefill` (declared `prefill`), the output is what follows it. Raises
        BackendError when none is left."""
        self.requests.append(list(messages))
        self.temperatures.append(temperature)
        self.prefills.append(prefill)
        if len(self.requests) > len(self.outputs):
            raise BackendError(f"scripted backend has no output left (it holds {len(self.outputs)})")
        out = self.outputs[len(self.requests) - 1]
        if isinstance(out, Completion):
            self.streamed.append(out.text)
            return out
        prompt = self.count_tokens(messages, tools) + (estimate_tokens(prefill) if prefill else 0)
        clock = StreamClock(self.on_text, stop if self.capabilities.streaming else None)
        clock.prefill(prefill)
        if self.capabilities.streaming:
            for i in range(0, len(out), max(1, self.piece_chars)):
                if clock.text(out[i:i + self.piece_chars]):
                    break
            text = clock.joined
        else:
            text = prefill + out
        self.streamed.append(text)
        latency, ttft = clock.finish()
        prompt_s, generation_s = StreamClock.split(latency, ttft)
        # as on the embedded engine, the given start is evaluated with the prompt; only what follows is generated
        generated = _estimate_tokens(text[len(prefill):])
        return Completion(text=text, usage=Usage(prompt_tokens=prompt, completion_tokens=generated),
                          latency_s=latency, ttft_s=ttft, prompt_s=prompt_s, generation_s=generation_s, cut=clock.cut)

    def count_tokens(self, messages: list[Message], tools: list[ToolSpec]) -> int:
        size = sum(len(m.content) for m in messages) + sum(len(json.dumps(t.parameters)) for t in tools)
        return _estimate_tokens("x" * size)

    def close(self) -> None:
        pass
