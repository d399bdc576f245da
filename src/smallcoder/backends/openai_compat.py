"""Any OpenAI-compatible server: llama.cpp's llama-server, llama-cpp-python's server, vLLM,
LM Studio, SGLang, hosted endpoints — through the official `openai` client.

What differs between them is handled here, not in the agent:
- the context window is read from the runtime (see openai_probe.py), never assumed;
- tools are sent as `tools`; calls the server parsed come back in `tool_calls`, and raw
  text with tags (llama-cpp-python, LM Studio's default mode) is left to our parser;
  a server that rejects `tools` gets the text protocol instead, for the rest of the run;
- every request streams, so time to first token is measured and `on_text` can show
  the answer live; usage and cache hits are read from wherever the runtime puts them.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import httpx
import openai

from smallcoder.backends.base import Capabilities, OnText, StopCheck
from smallcoder.backends.context_fit import check_chat_request
from smallcoder.backends.discovery import start_hint
from smallcoder.backends.endpoints import api_key, check_allowed, is_loopback, openai_base
from smallcoder.backends.http_errors import Failure, user_error
from smallcoder.backends.openai_probe import ServerFacts, probe_server
from smallcoder.backends.openai_stream import EmptyStream, StreamResult, read_response, read_stream
from smallcoder.backends.prompt_count import PromptCounter
from smallcoder.backends.retry import GaveUp, RetryPolicy, call_with_retries
from smallcoder.backends.stream_clock import StreamClock
from smallcoder.backends.wire import openai_messages, with_tool_instructions
from smallcoder.errors import BackendError, ConfigError, ModelNotFoundError
from smallcoder.types import Completion, Message, ToolSpec, Usage

# Sampling the embedded engine uses too, so a model behaves the same in process and behind a server.
LLAMA_CPP_SAMPLING = {"top_k": 40, "min_p": 0.05, "repeat_penalty": 1.0}

_CONTEXT_ADVICE = {
    "llama-server": "restart llama-server with -c {n} (per slot: divide by --parallel)",
    "llama-cpp-python": "restart the server with --n_ctx {n}",
    "vllm": "restart vLLM with --max-model-len {n}",
    "lmstudio": "reload the model in LM Studio with a context length of {n}",
}


class OpenAICompatBackend:
    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        ctx: int | None = None,
        temperature: float = 0.2,
        allow_remote: bool = False,
        api_key_env: str | None = None,
        timeout_s: float = 600.0,
        retry: RetryPolicy | None = None,
        dialect: str | None = None,
    ) -> None:
        self.base_url = openai_base(base_url)
        check_allowed(self.base_url, allow_remote)
        self.remote = not is_loopback(self.base_url)
        key = api_key(self.base_url, api_key_env)
        self.temperature = temperature
        self.retry = retry or RetryPolicy()
        self.on_text: OnText | None = None
        # openai.Timeout: the client's own HTTP library (httpx or its successor), not necessarily ours
        self.client = openai.OpenAI(base_url=self.base_url, api_key=key, max_retries=0,
                                    timeout=openai.Timeout(timeout_s, connect=5.0))
        self.http = httpx.Client(timeout=httpx.Timeout(60.0, connect=5.0),
                                 headers={"Authorization": f"Bearer {key}"})
        listed = self._list_models()
        self.model = model or (str(listed[0]["id"]) if listed else "")
        if not self.model:
            raise ModelNotFoundError(f"the server at {self.base_url} lists no model — name one with "
                                     "--model openai:URL#MODEL")
        self.facts: ServerFacts = probe_server(self.http, self.base_url, self.model, listed)
        self._check_model_listed()
        self.context_window = self._choose_context(ctx)
        self.counter = PromptCounter(self.facts.tokenize)
        self.native_tools = self.facts.tools is not False
        from smallcoder.protocol import dialect_for_model

        self.dialect = dialect or dialect_for_model(PurePath(self.model).name, self.facts.chat_template)
        self.name = f"{self.facts.flavor}:{PurePath(self.model).name if '/' in self.model else self.model}"
        self.run_record: dict[str, Any] = {
            "runtime": self.facts.flavor, "endpoint": self.base_url, "context_window": self.context_window,
            "context_source": self.facts.context_source or ("--ctx" if ctx else ""),
        }
        if self.remote:
            self.run_record["remote_endpoint"] = self.base_url  # the code left this machine

    # -- set-up -------------------------------------------------------------

    def _fail(self, failure: Failure) -> Exception:
        return user_error(failure, url=self.base_url, model=getattr(self, "model", "") or "?",
                          start_hint=start_hint(self.base_url, getattr(getattr(self, "facts", None), "flavor", None)),
                          context=getattr(self, "context_window", None))

    def _list_models(self) -> list[dict[str, Any]]:
        try:
            page = call_with_retries(lambda: self.client.models.list(), self.retry)
        except GaveUp as e:
            raise self._fail(e.failure) from None
        return [m.model_dump() for m in page.data]

    def _check_model_listed(self) -> None:
        # llama-server and llama-cpp-python serve one model whatever the name; the others route by it.
        models = self.facts.models
        if self.facts.flavor in ("vllm", "lmstudio", "openai") and models and self.model not in models:
            shown = ", ".join(models[:8]) + (", …" if len(models) > 8 else "")
            raise ModelNotFoundError(f"the server at {self.base_url} has no model {self.model!r} — it serves: {shown}")

    def _choose_context(self, declared: int | None) -> int:
        reported = self.facts.context
        if reported and declared:
            return min(reported, declared)  # the server cannot give more than it was started with
        if reported:
            return reported
        if declared:
            self.facts.context_source = "--ctx (the server does not report its window)"
            return declared
        if self.facts.flavor == "lmstudio":  # known only once loaded; a JIT load uses LM Studio's default
            raise ConfigError(f"{self.model} is not loaded in LM Studio, so its context is unknown — load it "
                              f"first (`lms load {self.model} --context-length 16384`) or pass --ctx N")
        raise ConfigError(f"the server at {self.base_url} ({self.facts.flavor}) does not report its context "
                          "window — pass --ctx N with the context it was started with")

    @property
    def capabilities(self) -> Capabilities:
        from smallcoder.fim.formats import format_for_model  # llama-server's /infill reads the model's own FIM tokens

        fim = self.facts.flavor == "llama-server" or format_for_model(PurePath(self.model).name) is not None
        return Capabilities(native_tools=self.native_tools, cached_tokens=True, streaming=True, fim=fim)

    def context_advice(self, tokens: int) -> str:
        template = _CONTEXT_ADVICE.get(self.facts.flavor)
        return template.format(n=tokens) if template else f"use a server with a context of {tokens} or more"

    # -- the Backend protocol -------------------------------------------------

    def count_tokens(self, messages: list[Message], tools: list[ToolSpec]) -> int:
        return self.counter.count(messages, tools)

    def complete(
        self, messages: list[Message], tools: list[ToolSpec], *, max_tokens: int, temperature: float | None = None,
        stop: StopCheck | None = None, prefill: str = "",
    ) -> Completion:
        """One streamed answer (Backend.complete); `stop` may end the stream early (the server is hung up on)."""
        prompt = check_chat_request(self, messages, tools, max_tokens, prefill)
        clocks: list[StreamClock] = []

        def attempt() -> StreamResult:
            clocks.append(StreamClock(self.on_text, stop))
            body = self._request(messages, tools, max_tokens, temperature)
            try:
                return read_stream(self.client.chat.completions.create(**body), clocks[-1])
            except EmptyStream:
                # Ask once more without streaming: the server then answers with its real error (or the answer).
                body["stream"] = False
                body.pop("stream_options", None)
                try:
                    response = self.client.chat.completions.create(**body)
                except openai.APIConnectionError:  # the broken stream can leave a dead pooled connection
                    response = self.client.chat.completions.create(**body)
                return read_response(response, clocks[-1])

        try:
            # A stream that already showed text is not repeated: the user would see it twice.
            result = call_with_retries(attempt, self.retry, retry_if=lambda _: not clocks[-1].streamed)
        except GaveUp as e:
            if e.failure.tools_unsupported and self.native_tools and tools:
                self.native_tools = False  # e.g. llama-server without --jinja: describe the tools in the prompt
                self.counter = PromptCounter(self.facts.tokenize)
                self.run_record["tools"] = "text protocol (the server rejected native tools)"
                return self.complete(messages, tools, max_tokens=max_tokens, temperature=temperature, stop=stop)
            if e.failure.overflow:
                raise BackendError(f"{user_error(e.failure, url=self.base_url, model=self.model, start_hint='')} "
                                   f"— {self.context_advice(prompt + max_tokens)}") from None
            raise self._fail(e.failure) from None
        return self._completion(result, clocks[-1], messages, tools, prompt)

    def _request(self, messages: list[Message], tools: list[ToolSpec], max_tokens: int,
                 temperature: float | None) -> dict[str, Any]:
        native = self.native_tools and bool(tools)
        sent = messages if native else with_tool_instructions(messages, tools, self.dialect)
        body: dict[str, Any] = {
            "model": self.model, "messages": openai_messages(sent), "max_tokens": max_tokens,
            "temperature": self.temperature if temperature is None else temperature, "top_p": 0.95,
            "stream": True, "stream_options": {"include_usage": True},
        }
        if native:
            body["tools"] = [t.as_openai() for t in tools]
        extra: dict[str, Any] = {}
        if self.facts.flavor in ("llama-server", "llama-cpp-python"):
            extra.update(LLAMA_CPP_SAMPLING)
        if self.facts.flavor == "llama-server":
            extra["cache_prompt"] = True  # the default, but say it: the agent's history only grows
        if extra:
            body["extra_body"] = extra
        return body

    def _completion(self, r: StreamResult, clock: StreamClock, messages: list[Message], tools: list[ToolSpec],
                    estimate: int) -> Completion:
        latency, ttft = clock.finish()
        timings = r.timings or {}
        prompt = r.prompt_tokens
        if prompt is None and isinstance(timings.get("prompt_n"), int):
            prompt = timings["prompt_n"] + int(timings.get("cache_n") or 0)
        if prompt is not None:
            self.counter.observe(messages, tools, prompt)
        cached, source = 0, ""
        if isinstance(timings.get("cache_n"), int):
            cached, source = timings["cache_n"], "timings"
        elif r.cached_tokens is not None:
            cached, source = r.cached_tokens, "usage"
        completion = r.completion_tokens
        if completion is None:
            completion = timings.get("predicted_n") if isinstance(timings.get("predicted_n"), int) else None
        if completion is None:  # llama-cpp-python streams no usage: one chunk is one token
            completion = r.text_chunks or self.counter.text_tokens(r.text)
        prompt_s, generation_s = StreamClock.split(latency, ttft)
        if isinstance(timings.get("prompt_ms"), (int, float)) and isinstance(timings.get("predicted_ms"), (int, float)):
            prompt_s, generation_s = timings["prompt_ms"] / 1000, timings["predicted_ms"] / 1000  # llama-server's own
        rate = timings.get("predicted_per_second")
        if not isinstance(rate, (int, float)):
            rate = StreamClock.rate(completion, generation_s)
        return Completion(
            text=r.text, tool_calls=r.tool_calls,
            usage=Usage(prompt_tokens=prompt if prompt is not None else estimate, completion_tokens=completion,
                        cached_tokens=cached),
            latency_s=latency, finish_reason=r.finish_reason or "stop", ttft_s=ttft,
            tokens_per_s=round(float(rate), 2) if rate else None, cache_source=source,
            prompt_s=prompt_s, generation_s=generation_s, cut=clock.cut,
        )

    def infill(self, request: Any, *, should_stop: Any = None) -> Completion:
        """Fill in the middle: llama-server's /infill (server-side FIM prompt, cache_prompt), any other
        server /v1/completions with our rendered FIM string. See backends/infill_http.py."""
        from smallcoder.backends.infill_http import llama_server_infill, openai_completions_infill

        if self.facts.flavor == "llama-server":
            return llama_server_infill(self.http, self.base_url.removesuffix("/v1"), request, should_stop=should_stop)
        extra = dict(LLAMA_CPP_SAMPLING) if self.facts.flavor == "llama-cpp-python" else {}
        done = openai_completions_infill(self.http, self.base_url, self.model, request, should_stop=should_stop,
                                         extra=extra)
        if not done.usage.prompt_tokens and request.prompt:  # a stream stopped early (or llama-cpp-python) has no usage
            done.usage.prompt_tokens = self.counter.text_tokens(request.prompt)
        return done

    def close(self) -> None:
        self.client.close()
        self.http.close()

