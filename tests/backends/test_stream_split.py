"""Prompt/generation split and the caller's stop check, on the fake servers and the scripted stream."""

from __future__ import annotations

from smallcoder.backends.base import Capabilities
from smallcoder.backends.ollama import OllamaBackend
from smallcoder.backends.openai_compat import OpenAICompatBackend
from smallcoder.backends.retry import RetryPolicy
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.types import Message

from .ollama_fake import OllamaFake, Reply
from .openai_fake import Answer, OpenAIFake

FAST = RetryPolicy(attempts=3, base_delay_s=0.01)


def convo() -> list[Message]:
    return [Message("system", "You fix bugs."), Message("user", "Read stats.py")]


def stop_at(word: str):
    return lambda text: "seen" if word in text else ""


def test_llama_server_split_comes_from_its_timings():
    with OpenAIFake("llama-server") as fake:
        b = OpenAICompatBackend(fake.url + "/v1", None, retry=FAST)
        fake.answers = [Answer("one two three")]
        c = b.complete(convo(), [], max_tokens=8)
        assert (c.prompt_s, c.generation_s, c.cut) == (0.05, 0.1, "")  # prompt_ms, predicted_ms


def test_other_servers_split_at_the_first_token():
    with OpenAIFake("vllm", model="m") as fake:
        b = OpenAICompatBackend(fake.url + "/v1", "m", retry=FAST)
        fake.answers = [Answer("one two three")]
        c = b.complete(convo(), [], max_tokens=8)
        assert c.prompt_s == c.ttft_s and c.generation_s is not None
        assert abs(c.prompt_s + c.generation_s - c.latency_s) < 1e-9


def test_stop_check_hangs_up_on_an_openai_stream():
    with OpenAIFake("llama-server") as fake:
        b = OpenAICompatBackend(fake.url + "/v1", None, retry=FAST)
        fake.answers = [Answer("one two three four"), Answer("five")]
        c = b.complete(convo(), [], max_tokens=8, stop=stop_at("two"))
        assert c.text == "one two " and c.cut == "seen" and c.finish_reason == "stop"
        assert b.complete(convo(), [], max_tokens=8).text == "five"  # the connection pool survived the hang-up


def test_ollama_split_from_its_durations_and_stop():
    with OllamaFake() as fake:
        b = OllamaBackend("qwen2.5-coder:7b", host=fake.url, retry=FAST, memory_budget_bytes=8 << 30)
        fake.replies = [Reply("The bug is in mean"), Reply("The bug is in mean")]
        c = b.complete(convo(), [], max_tokens=32)
        assert (c.prompt_s, c.generation_s) == (0.5, 1.0)  # prompt_eval_duration, eval_duration
        cut = b.complete(convo(), [], max_tokens=32, stop=stop_at("bug"))
        assert cut.text == "The bug " and cut.cut == "seen" and cut.usage.prompt_tokens > 0


def test_scripted_stream_is_cut_only_when_it_declares_streaming():
    plain = ScriptedBackend(outputs=["abcdefgh"])
    assert plain.complete(convo(), [], max_tokens=8, stop=stop_at("c")).text == "abcdefgh"
    streaming = ScriptedBackend(outputs=["abcdefgh"], capabilities=Capabilities(streaming=True), piece_chars=2)
    c = streaming.complete(convo(), [], max_tokens=8, stop=stop_at("c"))
    assert (c.text, c.cut, streaming.streamed) == ("abcd", "seen", ["abcd"])
