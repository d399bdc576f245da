"""The OpenAI-compatible backend against a real server: llama-cpp-python's, with the 0.5B model.

Requests stay tiny (max_tokens ≤ 32): the CPU is shared."""

from __future__ import annotations

import pytest

from smallcoder.backends.openai_compat import OpenAICompatBackend
from smallcoder.errors import BackendError, ConfigError
from smallcoder.config import UserConfig
from smallcoder.backends.specs import open_backend
from smallcoder.paths import Home
from smallcoder.protocol import parse_tool_calls
from smallcoder.session.fit import require_minimal_fit
from smallcoder.types import Message, ToolSpec

from .conftest import N_CTX

pytestmark = pytest.mark.model

TOOLS = [ToolSpec("list_files", "List the files of the repository.",
                  {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]})]


@pytest.fixture(scope="module")
def backend(llama_server):
    b = OpenAICompatBackend(llama_server, temperature=0.0)
    yield b
    b.close()


def test_reads_the_real_window_and_the_tokenizer(backend):
    assert backend.facts.flavor == "llama-cpp-python"
    assert backend.context_window == N_CTX and backend.facts.context_source == "over-long prompt probe"
    assert backend.dialect == "hermes" and backend.counter.exact
    assert backend.counter.text_tokens("hello world") == 2
    assert backend.name == "llama-cpp-python:qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def test_completes_streams_and_reports_usage(backend):
    seen: list[str] = []
    backend.on_text = seen.append
    try:
        msgs = [Message("system", "You are terse."), Message("user", "Say hello.")]
        c = backend.complete(msgs, [], max_tokens=8)
    finally:
        backend.on_text = None
    assert c.text and "".join(seen) == c.text
    assert 0 < c.usage.completion_tokens <= 8
    # llama-cpp-python streams no usage: the prompt is counted with the model's own tokenizer
    assert abs(c.usage.prompt_tokens - backend.count_tokens(msgs, [])) <= 1
    assert c.ttft_s is not None and 0 < c.ttft_s <= c.latency_s
    assert c.tokens_per_s and c.tokens_per_s > 0
    assert c.cache_source == ""


def test_tool_calls_as_text_and_raw_history_with_tool_results(backend):
    msgs = [Message("system", "You call tools."), Message("user", "List the files in '.'.")]
    first = backend.complete(msgs, TOOLS, max_tokens=32)
    parsed = parse_tool_calls(first.text, TOOLS, backend.dialect, first.tool_calls or None)
    assert parsed.calls or parsed.errors or first.text  # the 0.5B model does not always call
    msgs += [Message("assistant", first.text), Message("tool", "stats.py\ntest_stats.py", name="list_files")]
    second = backend.complete(msgs, TOOLS, max_tokens=8)  # the server accepts the synthetic tool_call_id
    assert second.usage.completion_tokens > 0


def test_a_prompt_that_does_not_fit_is_refused_before_sending(backend):
    huge = [Message("system", "word " * 5000), Message("user", "hi")]
    with pytest.raises(BackendError, match=rf"context {N_CTX} is too small for this task; restart the server "
                                           r"with --n_ctx \d+"):
        backend.complete(huge, [], max_tokens=8)


def test_the_servers_own_overflow_error_is_explained(backend):
    real = backend.context_window
    backend.context_window = 100_000  # pretend we believed a bigger window: the server must say no
    try:
        with pytest.raises(BackendError, match=rf"longer than its context of {N_CTX} tokens.*--n_ctx"):
            backend.complete([Message("user", "word " * 5000)], [], max_tokens=8)
    finally:
        backend.context_window = real


def test_minimal_prompt_check_says_what_size_is_needed(backend):
    assert require_minimal_fit(backend, "Fix the bug in mean().", 1024) < N_CTX
    with pytest.raises(ConfigError, match=rf"^context {N_CTX} is too small for this task; restart the server "
                                          r"with --n_ctx (\d+) \(it needs at least \1\)$"):
        require_minimal_fit(backend, "Fix this: " + "traceback line\n" * 2000, 1024)


def test_spec_resolution(llama_server):
    b = open_backend(f"openai:{llama_server}", UserConfig(temperature=0.0), Home.from_env())
    try:
        assert isinstance(b, OpenAICompatBackend) and b.context_window == N_CTX
        assert b.run_record["runtime"] == "llama-cpp-python" and "remote_endpoint" not in b.run_record
    finally:
        b.close()
