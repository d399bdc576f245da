"""The model's own tokenizer from a GGUF on this disk (vocabulary only, no weights).

Ollama has no tokenize endpoint, but a local Ollama keeps the model's GGUF as a
blob its Modelfile names; llama-cpp-python can read just the vocabulary from it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def gguf_tokenizer(path: str | Path | None) -> Callable[[str], int] | None:
    """A token counter for `path`, or None when the file or llama-cpp-python is missing."""
    if not path or not Path(path).is_file():
        return None
    try:
        import llama_cpp

        from smallcoder.backends.embedded import _quiet_stderr

        with _quiet_stderr():
            vocab = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)
    except Exception:  # not installed, not a GGUF, an unknown architecture: fall back to estimates
        return None

    def count(text: str) -> int:
        return len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    return count
