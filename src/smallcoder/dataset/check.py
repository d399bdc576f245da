"""`dataset check`: does training text match what smallcoder sends at inference, byte for byte?

For every assistant turn of an example: the prompt before it as the fine-tuning tools render it
(template.render_for_training, add_generation_prompt=True) must equal what the embedded backend sends
(EmbeddedBackend.render, the GGUF's template through llama.cpp's formatter); the full rendering must
extend that prompt (assistant-only loss relies on it); and the turn must end with the end-of-turn token
the runtime stops on. A mismatch is reported with its offset and a diff of the lines around it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from smallcoder.dataset.template import render_for_training
from smallcoder.types import Message, ToolSpec

CONTEXT_LINES = 2  # lines of context each side of the first difference


@dataclass
class CheckResult:
    """``ok`` when every compared prompt matched; ``compared``: prompts compared; ``problems``: one
    readable paragraph (with a diff) per mismatch."""

    compared: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.compared > 0 and not self.problems


def first_difference(a: str, b: str) -> int:
    """Index of the first differing character; ``min(len)`` when one is a prefix of the other; -1 when equal."""
    if a == b:
        return -1
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def explain(training: str, inference: str, what: str) -> str:
    """A paragraph: where the texts part (character offset, line) and a unified diff of the lines around it."""
    at = first_difference(training, inference)
    line = training.count("\n", 0, at)  # 0-based line of the first difference, the same in both texts
    a, b = training.splitlines(keepends=True), inference.splitlines(keepends=True)
    lo = max(0, line - CONTEXT_LINES)
    diff = "".join(difflib.unified_diff(a[lo:line + CONTEXT_LINES + 1], b[lo:line + CONTEXT_LINES + 1],
                                        "training (chat template)", "inference (smallcoder sends)", n=CONTEXT_LINES))
    return f"{what}: differs at character {at} (line {line + 1}): training {training[at:at + 24]!r} vs inference " \
           f"{inference[at:at + 24]!r}\n{diff}"


def _specs(tools: list[dict[str, Any]]) -> list[ToolSpec]:
    return [ToolSpec(t["function"]["name"], t["function"].get("description", ""), t["function"].get("parameters", {}))
            for t in tools]


def check_example(backend: Any, template: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                  *, stops: tuple[str, ...] = ()) -> CheckResult:
    """Compare one example; ``backend`` has ``render(messages, tools)`` and ``eos``/``facts`` like
    EmbeddedBackend. ``stops``: end-of-turn strings the runtime stops on (default: the backend's EOS)."""
    result = CheckResult()
    end_tokens = stops or tuple(t for t in (getattr(backend, "eos", ""),) if t)
    bos = getattr(getattr(backend, "formatter", None), "bos_token", "")
    specs = _specs(tools)
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        head = messages[:i]
        sent = backend.render([Message(x["role"], x["content"]) for x in head], specs)
        trained = render_for_training(template, head, tools or None, add_generation_prompt=True,
                                      bos=bos, eos=getattr(backend, "eos", ""))
        result.compared += 1
        if trained != sent:
            result.problems.append(explain(trained, sent, f"prompt before assistant turn {i}"))
            continue
        full = render_for_training(template, messages[:i + 1], tools or None, bos=bos, eos=getattr(backend, "eos", ""))
        if not full.startswith(trained + m["content"]):
            result.problems.append(explain(full, trained + m["content"],
                                           f"assistant turn {i} does not extend its prompt"))
            continue
        after = full[len(trained) + len(m["content"]):]
        if end_tokens and not after.startswith(end_tokens):
            result.problems.append(f"assistant turn {i} ends with {after[:24]!r} in training, but inference stops on "
                                   f"{' or '.join(end_tokens)}: a tuned model would not stop")
    return result
