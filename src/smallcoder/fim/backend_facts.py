"""What the FIM engine needs to know about a backend: can it fill in the middle, in which format,
and how to count tokens of plain text with the model's own tokenizer.

Read from what each backend already exposes (the embedded model's vocabulary, a server's model
name, Ollama's ``insert`` capability), so the backends need only their ``infill`` method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smallcoder.errors import BackendError
from smallcoder.fim.formats import CODESTRAL_TOKENS, QWEN_TOKENS, FimFormat, format_for_model

_PROBE = (QWEN_TOKENS.prefix, QWEN_TOKENS.suffix, QWEN_TOKENS.middle, QWEN_TOKENS.repo_name,
          QWEN_TOKENS.file_sep, CODESTRAL_TOKENS.prefix, CODESTRAL_TOKENS.suffix)


def fim_format(backend: Any) -> FimFormat:
    """The backend's model's FIM format; BackendError (one line) when the model cannot fill in the middle."""
    llm = getattr(backend, "llm", None)
    name = str(getattr(backend, "model", "") or getattr(backend, "name", ""))
    vocab = None
    if llm is not None:  # embedded: ask the vocabulary itself
        from smallcoder.backends.infill_embedded import has_token

        vocab = [t for t in _PROBE if has_token(llm, t)]
        facts = getattr(backend, "facts", None)
        name = f"{name} {getattr(facts, 'name', '')}"
    fmt = format_for_model(name, vocab)
    if fmt is None:
        caps = getattr(getattr(backend, "facts", None), "capabilities", None)
        if isinstance(caps, list) and "insert" in caps:  # Ollama: its template handles the suffix
            return FimFormat("template", QWEN_TOKENS, "psm", repo_level=False)
        raise BackendError(f"{name.strip() or 'this model'} cannot fill in the middle (no FIM tokens) — use a "
                           "FIM-trained model such as Qwen2.5-Coder or Qwen3-Coder")
    return fmt


def token_counter(backend: Any) -> Callable[[str], int]:
    """Tokens of a plain text for this backend's model; an estimate (3 characters a token) when the
    backend has no tokenizer at hand."""
    llm = getattr(backend, "llm", None)
    if llm is not None:
        return lambda text: len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))
    counter = getattr(backend, "counter", None)
    if counter is not None and hasattr(counter, "text_tokens"):
        return lambda text: int(counter.text_tokens(text))
    return lambda text: (len(text) + 2) // 3
