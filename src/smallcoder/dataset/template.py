"""Chat templates as the fine-tuning tools apply them, and the model's own template from its GGUF.

TRL, axolotl, LLaMA-Factory and unsloth all render conversations with Hugging Face transformers'
``apply_chat_template`` (transformers/utils/chat_template_utils.py): a sandboxed Jinja environment
with ``trim_blocks``/``lstrip_blocks``, ``loopcontrols``, a ``tojson`` that keeps non-ASCII text,
``raise_exception`` and ``strftime_now``. We call that very function when transformers is installed
and otherwise an environment set up the same way, so `dataset check` compares the text a trainer
would see with the text smallcoder sends (backends/embedded.py ``EmbeddedBackend.render``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

# The default when a GGUF has no template: the same fallback the embedded backend uses.
from smallcoder.backends.embedded import CHATML_FALLBACK as CHATML_FALLBACK
from smallcoder.errors import ConfigError, ModelNotFoundError


@dataclass(frozen=True)
class ModelTemplate:
    """A model's chat template and special tokens as its GGUF records them (``tokenizer.chat_template``,
    ``tokenizer.ggml.bos/eos_token_id``); ``eos``/``bos`` are token texts ("" when absent)."""

    template: str
    bos: str
    eos: str
    name: str


def read_gguf_template(model: Path) -> ModelTemplate:
    """The template and BOS/EOS texts of a GGUF file, read with llama.cpp's vocabulary-only load (no weights).

    Raises ModelNotFoundError for a missing file and ConfigError when llama-cpp-python is absent.
    """
    if not model.is_file():
        raise ModelNotFoundError(f"model file not found: {model}")
    from smallcoder.backends.embedded import _import_llama_cpp, _quiet_stderr

    llama_cpp = _import_llama_cpp()
    with _quiet_stderr():
        probe = llama_cpp.Llama(str(model), vocab_only=True, verbose=False)
    meta = dict(probe.metadata)
    eos_id, bos_id = probe.token_eos(), probe.token_bos()
    eos = probe._model.token_get_text(eos_id) if eos_id != -1 else ""
    bos = probe._model.token_get_text(bos_id) if bos_id != -1 else ""
    return ModelTemplate(meta.get("tokenizer.chat_template") or CHATML_FALLBACK, bos, eos, model.name)


def render_for_training(template: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
                        *, add_generation_prompt: bool = False, bos: str = "", eos: str = "") -> str:
    """``messages`` rendered the way the fine-tuning tools render them (see the module docstring).

    Raises ConfigError with the template's own message when the template fails on these messages.
    """
    kwargs: dict[str, Any] = {"bos_token": bos, "eos_token": eos}
    try:
        try:
            from transformers.utils.chat_template_utils import render_jinja_template
        except ImportError:
            return str(_compiled(template).render(messages=messages, tools=tools,
                                                  add_generation_prompt=add_generation_prompt, **kwargs))
        # Returns (rendered conversations, generation indices), although annotated as str.
        out: Any = render_jinja_template(conversations=[messages], tools=list(tools) if tools else None,
                                         chat_template=template, add_generation_prompt=add_generation_prompt, **kwargs)
        return str(out[0][0])
    except Exception as e:  # a template error (TemplateError, raise_exception) is the user's to see
        raise ConfigError(f"the chat template failed on this example: {e}") from e


def _compiled(template: str) -> Any:
    import jinja2
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x: Any, ensure_ascii: bool = False, indent: int | None = None, separators: Any = None,
               sort_keys: bool = False) -> str:
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env.from_string(template)


def count_tokens(model: Path, text: str) -> int:
    """Tokens of ``text`` under the GGUF's own tokenizer (vocabulary-only load; special tokens parsed)."""
    from smallcoder.backends.embedded import _import_llama_cpp, _quiet_stderr

    llama_cpp = _import_llama_cpp()
    with _quiet_stderr():
        probe = llama_cpp.Llama(str(model), vocab_only=True, verbose=False)
    return len(probe.tokenize(text.encode("utf-8"), add_bos=False, special=True))
