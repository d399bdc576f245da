"""The small pieces: endpoints and privacy, error classification, retries, prompt counting, wire shapes."""

from __future__ import annotations

import httpx
import pytest

from smallcoder.backends.endpoints import api_key, check_allowed, is_loopback, normalize_url, openai_base, server_root
from smallcoder.backends.http_errors import Failure, classify, context_limit_in, user_error
from smallcoder.backends.prompt_count import PromptCounter, estimate_tokens
from smallcoder.backends.retry import GaveUp, RetryPolicy, call_with_retries
from smallcoder.backends.wire import calls_from_openai, ollama_messages, openai_messages, with_tool_instructions
from smallcoder.errors import BackendError, ConfigError, ModelNotFoundError
from smallcoder.types import Message, ToolCall, ToolSpec

TOOLS = [ToolSpec("read_file", "Read a file.", {"type": "object", "properties": {"path": {"type": "string"}}})]


@pytest.mark.parametrize("url, local", [
    ("http://127.0.0.1:8080/v1", True), ("127.0.0.2:11434", True), ("http://localhost:1234", True),
    ("http://[::1]:8000", True), ("http://app.localhost", True), ("http://192.168.1.5:11434", False),
    ("https://api.openai.com/v1", False), ("http://gpu-box:8000", False), ("http://0.0.0.0:8000", False),
])
def test_loopback(url, local):
    assert is_loopback(url) is local


def test_remote_needs_opt_in():
    check_allowed("http://127.0.0.1:8080", allow_remote=False)
    with pytest.raises(ConfigError, match=r"192\.168\.1\.5:8000 is not this machine.*--allow-remote"):
        check_allowed("http://192.168.1.5:8000/v1", allow_remote=False)
    check_allowed("http://192.168.1.5:8000/v1", allow_remote=True)


def test_api_key_comes_from_the_environment(monkeypatch):
    for name in ("SMALLCODER_API_KEY", "OPENAI_API_KEY", "MY_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert api_key("http://127.0.0.1:8080").startswith("sk-")  # local servers need none
    with pytest.raises(ConfigError, match="set SMALLCODER_API_KEY or OPENAI_API_KEY"):
        api_key("https://api.example.com/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    assert api_key("https://api.example.com/v1") == "sk-openai"
    monkeypatch.setenv("MY_KEY", "sk-mine")
    assert api_key("https://api.example.com/v1", "MY_KEY") == "sk-mine"


def test_urls():
    assert normalize_url("localhost:8080/v1/") == "http://localhost:8080/v1"
    assert server_root("http://h:8080/v1") == "http://h:8080" and openai_base("http://h:8080") == "http://h:8080/v1"
    assert openai_base("http://h:8080/api/v1") == "http://h:8080/api/v1"
    with pytest.raises(ConfigError):
        normalize_url("http://")


@pytest.mark.parametrize("message, limit", [
    ("This model's maximum context length is 4096 tokens, however you requested 5000", 4096),
    ("Requested tokens (5001) exceed context window of 2048", 2048),
    ("the request exceeds the available context size (8192 tokens)", 8192),
    ("something else", None),
])
def test_context_limit_in_errors(message, limit):
    assert context_limit_in(message) == limit


def test_failure_kinds():
    assert Failure("status", "Loading model", 503).transient
    assert not Failure("status", "bad", 400).transient
    assert Failure("timeout", "read timeout").transient and not Failure("connect", "refused").transient
    no_tools = Failure("status", "registry.ollama.ai/library/x does not support tools", 400)
    assert no_tools.tools_unsupported and not no_tools.transient
    jinja = Failure("status", "tools param requires --jinja flag", 500)
    assert jinja.tools_unsupported and not jinja.transient
    assert Failure("status", "model 'x' not found", 404).model_missing
    assert Failure("status", "exceeds the available context size", 400).overflow


def test_classify_library_exceptions():
    req = httpx.Request("POST", "http://127.0.0.1/api/chat")
    assert classify(httpx.ConnectError("refused", request=req)).kind == "connect"
    assert classify(httpx.ReadTimeout("slow", request=req)).kind == "timeout"
    assert classify(ConnectionError("Failed to connect to Ollama")).kind == "connect"
    import ollama

    f = classify(ollama.ResponseError('{"error": "model \'x\' not found"}', 404))
    assert (f.kind, f.status, f.message) == ("status", 404, "model 'x' not found")
    assert classify(ValueError("ours")) is None


def test_user_errors_are_one_actionable_line():
    kw = {"url": "http://127.0.0.1:11434", "model": "qwen2.5-coder:7b", "start_hint": "ollama serve",
          "pull_hint": "ollama pull qwen2.5-coder:7b"}
    e = user_error(Failure("connect", "refused"), **kw)
    assert isinstance(e, BackendError) and "`ollama serve`" in str(e) and "127.0.0.1:11434" in str(e)
    e = user_error(Failure("status", "model 'qwen2.5-coder:7b' not found", 404), **kw)
    assert isinstance(e, ModelNotFoundError) and "run `ollama pull qwen2.5-coder:7b`" in str(e)
    e = user_error(Failure("status", "Not Found", 404), **kw)
    assert "check --base-url" in str(e)
    for err in (e, user_error(Failure("status", "x\n" * 300, 500), **kw)):
        assert "\n" not in str(err)


def test_retries_are_bounded_and_only_for_transient_failures():
    req = httpx.Request("GET", "http://x")
    calls, sleeps = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise httpx.ReadTimeout("slow", request=req)
        return "ok"

    assert call_with_retries(flaky, RetryPolicy(attempts=3, base_delay_s=0.1), sleep=sleeps.append) == "ok"
    assert len(calls) == 3 and len(sleeps) == 2 and sleeps[1] > sleeps[0]  # backoff grows

    def refused():
        calls.append(1)
        raise httpx.ConnectError("refused", request=req)

    calls.clear()
    with pytest.raises(GaveUp) as info:
        call_with_retries(refused, RetryPolicy(attempts=5), sleep=sleeps.append)
    assert len(calls) == 1 and info.value.failure.kind == "connect"
    with pytest.raises(KeyError):  # our own bugs pass through
        call_with_retries(lambda: {}["x"], sleep=sleeps.append)


def test_prompt_counter_anchors_on_the_servers_figure():
    counter = PromptCounter(tokenize=lambda text: len(text.split()))
    msgs = [Message("system", "one two three"), Message("user", "four five")]
    first = counter.count(msgs, TOOLS)
    assert first > 5  # template overhead and tool schemas are counted
    counter.observe(msgs, TOOLS, 40)
    longer = msgs + [Message("assistant", "six seven"), Message("tool", "eight", name="read_file")]
    assert counter.count(longer, TOOLS) == 40 + (6 + 2) + (6 + 1)
    # a different history does not use the anchor
    assert counter.count([Message("user", "x")], TOOLS) != 40 + 7
    # a failing tokenizer falls back to estimates rather than failing the run
    broken = PromptCounter(tokenize=lambda text: 1 // 0)
    assert broken.text_tokens("abcdef") == estimate_tokens("abcdef") and not broken.exact


def test_openai_wire_shapes():
    calls = [ToolCall("read_file", {"path": "a.py"}, "")]
    msgs = [Message("system", "s"), Message("assistant", "", tool_calls=calls),
            Message("tool", "content", name="read_file"), Message("assistant", "<tool_call>raw</tool_call>"),
            Message("tool", "more", name="read_file")]
    wire = openai_messages(msgs)
    assert wire[1]["tool_calls"][0] == {"id": "call_1_0", "type": "function",
                                        "function": {"name": "read_file", "arguments": '{"path": "a.py"}'}}
    assert wire[1]["content"] is None
    assert wire[2] == {"role": "tool", "content": "content", "tool_call_id": "call_1_0", "name": "read_file"}
    assert wire[3] == {"role": "assistant", "content": "<tool_call>raw</tool_call>"}
    assert wire[4]["tool_call_id"] == "call_4"
    assert openai_messages(msgs) == wire  # stable from request to request: the prompt cache holds


def test_ollama_wire_shapes():
    calls = [ToolCall("read_file", '{"path": "a.py"}', "c")]  # a JSON string still becomes a mapping
    msgs = [Message("assistant", "", tool_calls=calls), Message("tool", "x", name="read_file")]
    assert ollama_messages(msgs, True) == [
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "read_file",
                                                                          "arguments": {"path": "a.py"}}}]},
        {"role": "tool", "content": "x", "tool_name": "read_file"}]


def test_server_parsed_arguments():
    calls = calls_from_openai([{"id": "1", "function": {"name": "f", "arguments": '{"a": 1}'}},
                               {"id": "2", "function": {"name": "g", "arguments": "{broken"}},
                               {"id": "3", "function": {"name": "h", "arguments": ""}}])
    assert [c.arguments for c in calls] == [{"a": 1}, "{broken", {}]


def test_tool_instructions_for_servers_without_tools():
    out = with_tool_instructions([Message("system", "Base."), Message("user", "u")], TOOLS, "qwen3_xml")
    assert out[0].content.startswith("Base.\n\n# Tools") and "<function=read_file>" in out[0].content
    assert with_tool_instructions([Message("user", "u")], TOOLS, None)[0].role == "system"
