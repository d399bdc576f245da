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


def test_embedded_reply_continues_a_prefill_and_the_next_request_reuses_it():
    pytest.importorskip("llama_cpp")
    if not SMALL.is_file():
        pytest.skip(f"{SMALL} missing")
    from smallcoder.backends.embedded import EmbeddedBackend

    backend = EmbeddedBackend(SMALL, n_ctx=2048, n_threads=1, temperature=0.0)
    try:
        assert backend.capabilities.prefill
        msgs = [Message("system", "You write Python."), Message("user", "Write a function add(a, b).")]
        seen: list[str] = []
        reply = backend.complete(msgs, [], max_tokens=24, prefill="```python\ndef add(", stop=lambda t: seen.append(t) or "")
        assert reply.text.startswith("```python\ndef add(") and len(reply.text) > len("```python\ndef add(")
        assert seen[0].startswith("```python\ndef add(")  # the stop check saw the given start as part of the reply
        assert 0 < reply.usage.completion_tokens <= 24  # only what was generated
        msgs += [Message("assistant", reply.text), Message("user", "Thanks.")]
        after = backend.complete(msgs, [], max_tokens=2)
        assert after.usage.cached_tokens >= reply.usage.prompt_tokens  # the prefilled reply is in the KV cache
    finally:
        backend.close()
