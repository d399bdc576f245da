"""The Ollama backend against a local fake of Ollama's native API."""

from __future__ import annotations

import socket

import pytest

from smallcoder.backends.ollama import OllamaBackend
from smallcoder.backends.retry import RetryPolicy
from smallcoder.errors import BackendError, ConfigError, ModelNotFoundError
from smallcoder.protocol import parse_tool_calls
from smallcoder.types import Message, ToolCall, ToolSpec

from .ollama_fake import FakeModel, OllamaFake, Reply

TOOLS = [ToolSpec("read_file", "Read a file.", {"type": "object", "properties": {"path": {"type": "string"}},
                                                 "required": ["path"]})]
FAST = RetryPolicy(attempts=3, base_delay_s=0.01)
GiB = 1 << 30


@pytest.fixture
def fake():
    with OllamaFake() as f:
        yield f


def backend(fake: OllamaFake, model: str = "qwen2.5-coder:7b", **kw) -> OllamaBackend:
    kw.setdefault("memory_budget_bytes", 8 * GiB)
    return OllamaBackend(model, host=fake.url, retry=FAST, **kw)


def convo() -> list[Message]:
    return [Message("system", "You fix bugs."), Message("user", "Read stats.py")]


def test_num_ctx_is_chosen_once_and_sent_on_every_request(fake):
    b = backend(fake)
    # trained 32k, KV of this model fits 8 GiB many times over → the 32k ceiling
    assert b.context_window == b.num_ctx == 32_768
    assert b.facts.trained_context == 32_768 and b.facts.tools and b.facts.fim
    fake.replies = [Reply("first"), Reply("second"), Reply("third")]
    msgs = convo()
    for _ in range(3):
        c = b.complete(msgs, TOOLS, max_tokens=32)
        msgs += [Message("assistant", c.text), Message("user", "go on")]
    sent = [r["options"]["num_ctx"] for r in fake.requests]
    assert sent == [32_768] * 3
    assert fake.reloads == 0
    assert all(r["keep_alive"] == fake.requests[0]["keep_alive"] for r in fake.requests)
    assert b.run_record["num_ctx"] == 32_768 and "remote_endpoint" not in b.run_record


def test_memory_caps_the_chosen_window(fake):
    b = backend(fake, memory_budget_bytes=1 * GiB)
    # 28 layers × 4 KV heads × 128 dims × 2 (K,V) × 2 bytes = 57,344 bytes per token
    assert b.num_ctx == (GiB // 57_344) // 256 * 256


def test_declared_ctx_is_capped_at_the_trained_window(fake):
    assert backend(fake, ctx=8192).num_ctx == 8192
    assert backend(fake, ctx=100_000).num_ctx == 32_768


def test_an_already_loaded_model_keeps_its_window(fake):
    fake.loaded["qwen2.5-coder:7b"] = 16_384
    b = backend(fake)
    assert b.num_ctx == 16_384 and "no reload" in b.ctx_source
    b.complete(convo(), TOOLS, max_tokens=8)
    assert fake.reloads == 0


def test_modelfile_num_ctx_is_respected(fake):
    fake.models["qwen2.5-coder:7b"].parameters = 'num_ctx                        12288\nstop "<|im_end|>"'
    assert backend(fake).num_ctx == 12_288


def test_streams_text_with_timing_and_usage(fake):
    b = backend(fake)
    seen: list[str] = []
    b.on_text = seen.append
    fake.replies = [Reply("The bug is in mean")]
    c = b.complete(convo(), TOOLS, max_tokens=32)
    assert c.text == "The bug is in mean" and "".join(seen) == c.text and len(seen) == 5
    assert c.usage.prompt_tokens == fake_prompt(fake) and c.usage.completion_tokens == 5
    assert c.ttft_s is not None and c.ttft_s <= c.latency_s
    assert c.tokens_per_s == 5.0  # eval_count / eval_duration
    assert c.cache_source == ""  # Ollama does not say how much was cached


def fake_prompt(fake: OllamaFake) -> int:
    from .ollama_fake import fake_tokens

    return sum(fake_tokens(m.get("content", "")) + 4 for m in fake.requests[-1]["messages"])


def test_native_tool_calls_round_trip(fake):
    b = backend(fake)
    fake.replies = [Reply("", [{"name": "read_file", "arguments": {"path": "stats.py"}}]), Reply("done")]
    c = b.complete(convo(), TOOLS, max_tokens=32)
    assert c.tool_calls == [ToolCall("read_file", {"path": "stats.py"}, "call_0")]
    assert parse_tool_calls(c.text, TOOLS, b.dialect, c.tool_calls).calls[0].arguments == {"path": "stats.py"}
    assert fake.requests[0]["tools"][0]["function"]["name"] == "read_file"
    msgs = convo() + [Message("assistant", c.text, tool_calls=c.tool_calls),
                      Message("tool", "def mean(xs): ...", tool_call_id="call_0", name="read_file")]
    b.complete(msgs, TOOLS, max_tokens=32)
    history = fake.requests[1]["messages"]
    assert history[2]["tool_calls"] == [{"function": {"name": "read_file", "arguments": {"path": "stats.py"}}}]
    assert history[3] == {"role": "tool", "content": "def mean(xs): ...", "tool_name": "read_file"}


def test_model_without_tool_capability_gets_the_text_protocol(fake):
    fake.models["plain"] = FakeModel("plain", capabilities=["completion"], template="{{ .Prompt }}")
    b = backend(fake, "plain")
    assert b.native_tools is False
    b.complete(convo(), TOOLS, max_tokens=8)
    sent = fake.requests[0]
    assert "tools" not in sent or not sent["tools"]
    assert "read_file" in sent["messages"][0]["content"] and "<tool_call>" in sent["messages"][0]["content"]


def test_does_not_support_tools_error_falls_back_to_text(fake):
    # An older Ollama reports no capabilities; the 400 tells us instead.
    fake.models["old"] = FakeModel("old", capabilities=["completion"])
    b = backend(fake, "old")
    b.facts.capabilities = None
    b.native_tools = True
    fake.replies = [Reply("<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.py\"}}\n</tool_call>")]
    c = b.complete(convo(), TOOLS, max_tokens=32)
    assert len(fake.requests) == 2 and fake.requests[0]["tools"] and not fake.requests[1].get("tools")
    assert parse_tool_calls(c.text, TOOLS, b.dialect).calls[0].arguments == {"path": "a.py"}
    assert "text protocol" in b.run_record["tools"]
    # in text mode, tool results go back as user turns
    b.complete(convo() + [Message("assistant", c.text), Message("tool", "x = 1", name="read_file")], TOOLS,
               max_tokens=8)
    assert fake.requests[-1]["messages"][-1] == {"role": "user", "content": "Result of read_file:\nx = 1"}


def test_model_not_pulled(fake):
    with pytest.raises(ModelNotFoundError, match=r"ollama pull nope:1b"):
        backend(fake, "nope:1b")


def test_server_not_running():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BackendError, match=rf"127\.0\.0\.1:{port}.*`ollama serve`"):
        OllamaBackend("m", host=f"http://127.0.0.1:{port}", retry=FAST)


def test_transient_errors_are_retried(fake):
    b = backend(fake)
    fake.fail_next = [(503, {"error": "server busy"}), (503, {"error": "server busy"})]
    fake.replies = [Reply("fine")]
    assert b.complete(convo(), TOOLS, max_tokens=8).text == "fine"
    fake.fail_next = [(503, {"error": "server busy"})] * 3
    with pytest.raises(BackendError, match="HTTP 503"):
        b.complete(convo(), TOOLS, max_tokens=8)


def test_a_prompt_that_does_not_fit_is_never_sent(fake):
    b = backend(fake, ctx=2048)
    with pytest.raises(BackendError, match=r"context 2048 is too small for this task; run with --ctx \d+"):
        b.complete([Message("system", "x " * 6000), Message("user", "go")], TOOLS, max_tokens=512)
    assert fake.requests == []


def test_ollama_loading_a_smaller_window_is_detected(fake):
    # Not enough memory: Ollama loads 4096 although 32768 was asked, and cuts the prompt.
    fake.models["qwen2.5-coder:7b"].max_loadable_ctx = 4096
    b = backend(fake)
    with pytest.raises(BackendError, match=r"context of 4096, not the 32768 asked for.*--ctx 4096"):
        b.complete([Message("system", "x " * 12_000), Message("user", "y " * 4_000), Message("user", "go")],
                   TOOLS, max_tokens=64)
    assert b.context_window == 4096
    # a small prompt that fits is fine, and the window is now the real one
    b2 = backend(fake)
    b2.complete(convo(), TOOLS, max_tokens=8)
    assert b2.context_window == 4096


def test_without_num_ctx_ollama_would_truncate_silently(fake):
    """What the fake reproduces (and the backend avoids): no num_ctx → the default window,
    oldest messages dropped, no error."""
    status, (_, _, prompt) = fake.chat({"model": "qwen2.5-coder:7b", "messages": [
        {"role": "system", "content": "s"}, {"role": "user", "content": "a " * 20_000},
        {"role": "user", "content": "last"}]})
    assert status == 200 and prompt < 100


def test_remote_host_needs_opt_in():
    with pytest.raises(ConfigError, match="--allow-remote"):
        OllamaBackend("m", host="http://gpu-box.example.com:11434")


def test_counts_tokens_with_the_local_gguf_when_there_is_one(fake):
    from pathlib import Path

    gguf = Path.home() / ".cache" / "smallcoder-test-models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    if not gguf.is_file():
        pytest.skip("test model missing")
    pytest.importorskip("llama_cpp")
    fake.models["qwen2.5-coder:7b"].blob = str(gguf)
    b = backend(fake)
    assert b.counter.exact
    assert b.counter.text_tokens("hello world") == 2
