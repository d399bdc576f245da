"""Which call format a model family writes, from its name, GGUF architecture or chat template."""

from __future__ import annotations

import re

# Checked in order; the first pattern found in the lower-cased name wins.
_BY_NAME: tuple[tuple[str, str], ...] = (
    (r"qwen3[-_.]?coder|qwen3coder|qwen3\.5|qwen3[-_]?next", "qwen3_xml"),
    (r"devstral|mistral|ministral|codestral|magistral|mixtral|mistral3", "mistral"),
    (r"qwen|hermes|nous", "hermes"),
    (r"llama[-_]?3", "bare_json"),
)


def dialect_for_model(name_or_arch: str, chat_template: str | None = None) -> str | None:
    """The dialect to expect, or None when nothing identifies it.

    The chat template, when given, decides (it is what the model was trained to follow):
    <function=…><parameter=…> means Qwen3-Coder XML, [TOOL_CALLS] Mistral, <tool_call> Hermes.
    Otherwise the name or architecture does: qwen3-coder → qwen3_xml; qwen2/qwen2.5/qwen3
    (and GGUF archs qwen2, qwen3, qwen3moe) → hermes; devstral, mistral, mistral3 → mistral.
    """
    if chat_template:
        if "<function=" in chat_template and "<parameter=" in chat_template:
            return "qwen3_xml"
        if "[TOOL_CALLS]" in chat_template:
            return "mistral"
        if "<tool_call>" in chat_template:
            return "hermes"
        if "[TOOL_REQUEST]" in chat_template:
            return "lmstudio"
    name = (name_or_arch or "").lower()
    for pattern, dialect in _BY_NAME:
        if re.search(pattern, name):
            return dialect
    return None
