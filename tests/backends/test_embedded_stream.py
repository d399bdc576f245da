"""The embedded engine reports the same speed figures as the servers, and streams to the on_text hook."""

from __future__ import annotations

import pytest

from smallcoder.types import Message

from .conftest import SMALL

pytestmark = pytest.mark.model


def test_embedded_streams_and_times_its_answers():
    pytest.importorskip("llama_cpp")
    if not SMALL.is_file():
        pytest.skip(f"{SMALL} missing")
    from smallcoder.backends.embedded import EmbeddedBackend

    backend = EmbeddedBackend(SMALL, n_ctx=2048, temperature=0.0)
    try:
        seen: list[str] = []
        backend.on_text = seen.append
        msgs = [Message("system", "You are terse."), Message("user", "Say hello.")]
        first = backend.complete(msgs, [], max_tokens=8)
        assert first.text and "".join(seen) == first.text
        assert 0 < first.usage.completion_tokens <= 8
        assert first.ttft_s is not None and 0 < first.ttft_s <= first.latency_s
        assert first.tokens_per_s and first.cache_source == "kv"
        msgs += [Message("assistant", first.text), Message("user", "Again.")]
        second = backend.complete(msgs, [], max_tokens=4)
        assert second.usage.cached_tokens >= first.usage.prompt_tokens  # the history was reused
    finally:
        backend.close()
