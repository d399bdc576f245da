"""The embedded engine ends a stream when the caller's stop check says so, and its KV cache stays usable."""

from __future__ import annotations

import pytest

from smallcoder.types import Message

from .conftest import SMALL

pytestmark = pytest.mark.model


def test_embedded_stream_is_cut_and_the_next_request_reuses_the_cache():
    pytest.importorskip("llama_cpp")
    if not SMALL.is_file():
        pytest.skip(f"{SMALL} missing")
    from smallcoder.backends.embedded import EmbeddedBackend

    backend = EmbeddedBackend(SMALL, n_ctx=2048, n_threads=1, temperature=0.0)
    try:
        msgs = [Message("system", "You are verbose."), Message("user", "Explain what a Python list is, at length.")]
        checked: list[str] = []

        def stop(text: str) -> str:
            checked.append(text)
            return "enough" if len(text) >= 20 else ""

        # the user's thread count holds for prompt evaluation too (llama-cpp-python's default is every CPU)
        assert backend.llm.context_params.n_threads == backend.llm.context_params.n_threads_batch == 1
        cut = backend.complete(msgs, [], max_tokens=64, stop=stop)
        assert cut.cut == "enough" and cut.text == checked[-1] and 20 <= len(cut.text) < 60
        assert cut.prompt_s is not None and cut.generation_s is not None
        msgs += [Message("assistant", cut.text), Message("user", "Shorter.")]
        after = backend.complete(msgs, [], max_tokens=4)
        assert after.cut == "" and after.usage.cached_tokens >= cut.usage.prompt_tokens
    finally:
        backend.close()
