"""The OpenAI-compatible backend against fakes of llama-server, vLLM, LM Studio and a bare server:
where each reports its window, usage and cache hits, and how their errors read."""

from __future__ import annotations

import socket

import pytest

from smallcoder.backends.openai_compat import OpenAICompatBackend
from smallcoder.backends.retry import RetryPolicy
from smallcoder.errors import BackendError, ConfigError, ModelNotFoundError
from smallcoder.types import Message, ToolCall, ToolSpec

from .openai_fake import Answer, OpenAIFake

TOOLS = [ToolSpec("read_file", "Read a file.", {"type": "object", "properties": {"path": {"type": "string"}},
                                                 "required": ["path"]})]
FAST = RetryPolicy(attempts=3, base_delay_s=0.01)


def convo() -> list[Message]:
    return [Message("system", "You fix bugs."), Message("user", "Read stats.py")]


def open_backend(fake: OpenAIFake, **kw) -> OpenAICompatBackend:
    return OpenAICompatBackend(fake.url + "/v1", kw.pop("model", None), retry=FAST, **kw)


def test_llama_server_window_usage_cache_and_native_calls():
    with OpenAIFake("llama-server", n_ctx=8192) as fake:
        b = open_backend(fake)
        assert (b.facts.flavor, b.context_window, b.facts.context_source) == ("llama-server", 8192, "/slots n_ctx")
        assert b.facts.trained_context == 32768 and b.facts.tools and b.counter.exact
        assert b.dialect == "hermes"
        fake.answers = [Answer("Reading it.", [{"name": "read_file", "arguments": {"path": "stats.py"}}],
                               prompt_tokens=300, cached_tokens=250)]
        c = b.complete(convo(), TOOLS, max_tokens=64)
        assert c.text == "Reading it."
        assert c.tool_calls == [ToolCall("read_file", {"path": "stats.py"}, "call_0x")]
        assert (c.usage.prompt_tokens, c.usage.cached_tokens, c.cache_source) == (300, 250, "timings")
        assert c.tokens_per_s == 50.0 and c.finish_reason == "tool_calls"
        req = fake.requests[0]
        assert req["cache_prompt"] is True and req["top_k"] == 40 and req["stream"] is True
        assert req["tools"][0]["function"]["name"] == "read_file"
        # the next prompt counts from the server's own figure
        msgs = convo() + [Message("assistant", c.text, tool_calls=c.tool_calls),
                          Message("tool", "def mean(): ...", tool_call_id="call_0x", name="read_file")]
        assert b.count_tokens(msgs, TOOLS) > 300
        b.complete(msgs, TOOLS, max_tokens=64)
        history = fake.requests[1]["messages"]
        assert history[2]["tool_calls"][0]["function"] == {"name": "read_file", "arguments": '{"path": "stats.py"}'}
        assert history[3]["tool_call_id"] == "call_0x" and history[3]["role"] == "tool"


def test_vllm_max_model_len_and_cached_tokens_from_usage():
    with OpenAIFake("vllm", model="Qwen/Qwen2.5-Coder-7B-Instruct", n_ctx=16384) as fake:
        b = open_backend(fake)
        assert (b.facts.flavor, b.context_window) == ("vllm", 16384)
        assert b.name == "vllm:Qwen2.5-Coder-7B-Instruct"
        fake.answers = [Answer("hi there", prompt_tokens=120, cached_tokens=64)]
        c = b.complete(convo(), TOOLS, max_tokens=16)
        assert (c.usage.prompt_tokens, c.usage.cached_tokens, c.cache_source) == (120, 64, "usage")
        assert "cache_prompt" not in fake.requests[0]  # llama.cpp-only field, not sent elsewhere


def test_vllm_unknown_model_lists_what_it_serves():
    with OpenAIFake("vllm", model="a-model") as fake:
        with pytest.raises(ModelNotFoundError, match="serves: a-model"):
            open_backend(fake, model="other-model")


def test_lmstudio_loaded_context():
    with OpenAIFake("lmstudio", model="qwen2.5-coder-7b-instruct", n_ctx=12000) as fake:
        b = open_backend(fake)
        assert (b.facts.flavor, b.context_window, b.facts.tools) == ("lmstudio", 12000, True)
        assert "LM Studio" in b.context_advice(20000)


def test_server_that_reports_no_window_needs_ctx():
    with OpenAIFake("bare") as fake:
        with pytest.raises(ConfigError, match="does not report its context window — pass --ctx"):
            open_backend(fake)
        b = open_backend(fake, ctx=6000)
        assert b.context_window == 6000 and "--ctx" in b.run_record["context_source"]


def test_declared_ctx_cannot_exceed_the_servers():
    with OpenAIFake("llama-server", n_ctx=4096) as fake:
        assert open_backend(fake, ctx=32768).context_window == 4096


def test_rejected_tools_fall_back_to_the_text_protocol():
    with OpenAIFake("llama-server", reject_tools=True) as fake:
        b = open_backend(fake)
        fake.answers = [Answer('<tool_call>\n{"name": "read_file", "arguments": {"path": "a"}}\n</tool_call>')]
        c = b.complete(convo(), TOOLS, max_tokens=32)
        assert "<tool_call>" in c.text and not c.tool_calls
        assert "tools" in fake.requests[0] and "tools" not in fake.requests[1]
        assert "read_file" in fake.requests[1]["messages"][0]["content"]
        # raw text goes back verbatim; the tool result gets a stable synthetic id
        msgs = convo() + [Message("assistant", c.text), Message("tool", "x", name="read_file")]
        b.complete(msgs, TOOLS, max_tokens=8)
        b.complete(msgs, TOOLS, max_tokens=8)
        assert fake.requests[2]["messages"] == fake.requests[3]["messages"]
        assert fake.requests[2]["messages"][2] == {"role": "assistant", "content": c.text}
        assert fake.requests[2]["messages"][3]["tool_call_id"] == "call_3"


def test_transient_errors_retry_then_give_a_clear_error():
    with OpenAIFake("llama-server") as fake:
        b = open_backend(fake)
        fake.fail_next = [(503, {"error": {"message": "Loading model", "code": 503}})]
        assert b.complete(convo(), TOOLS, max_tokens=8).text == "ok"
        fake.fail_next = [(503, {"error": {"message": "Loading model", "code": 503}})] * 3
        with pytest.raises(BackendError, match=r"failed \(HTTP 503\): Loading model"):
            b.complete(convo(), TOOLS, max_tokens=8)


def test_over_long_prompt_400_is_explained():
    with OpenAIFake("llama-server", n_ctx=4096) as fake:
        b = open_backend(fake)
        fake.fail_next = [(400, {"error": {"code": 400, "type": "exceed_context_size_error",
                                           "message": "the request exceeds the available context size (4096 "
                                                      "tokens), try increasing it", "n_ctx": 4096}})]
        with pytest.raises(BackendError, match=r"longer than its context.*restart llama-server with -c"):
            b.complete(convo(), TOOLS, max_tokens=8)
        assert len(fake.requests) == 1  # not retried


def test_api_key_refused():
    with OpenAIFake("llama-server") as fake:
        b = open_backend(fake)
        fake.fail_next = [(401, {"error": {"message": "Invalid API Key"}})]
        with pytest.raises(ConfigError, match="refused the API key"):
            b.complete(convo(), TOOLS, max_tokens=8)


def test_nothing_listening_names_the_url_and_the_command():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BackendError, match=rf"no model server answers at http://127.0.0.1:{port}/v1 — start it with `"):
        OpenAICompatBackend(f"http://127.0.0.1:{port}/v1", retry=FAST)


def test_remote_endpoint_needs_opt_in_and_a_key(monkeypatch):
    monkeypatch.delenv("SMALLCODER_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="--allow-remote"):
        OpenAICompatBackend("https://api.example.com/v1", "m")
    with pytest.raises(ConfigError, match="no API key for api.example.com"):
        OpenAICompatBackend("https://api.example.com/v1", "m", allow_remote=True)


def test_streamed_text_reaches_the_hook():
    with OpenAIFake("llama-server") as fake:
        b = open_backend(fake)
        seen: list[str] = []
        b.on_text = seen.append
        fake.answers = [Answer("one two three")]
        c = b.complete(convo(), TOOLS, max_tokens=8)
        assert seen == ["one ", "two ", "three"] and c.ttft_s is not None
