"""Ollama through its native API (/api/chat, /api/show, /api/ps) and the official `ollama` client.

Not the OpenAI-compatible /v1 endpoint: it cannot carry num_ctx, so every prompt
would meet Ollama's small default window and be truncated without an error.

Per run: /api/show gives the trained window, the capabilities (tools, insert =
FIM) and the template; /api/ps the window of an already loaded model. num_ctx is
chosen once (ollama_facts.choose_num_ctx) and sent unchanged on every request, so
the model is loaded once. After the first answer /api/ps is checked: when Ollama
gave less than asked (memory), we adopt its figure, and fail loudly if the prompt
we sent no longer fit.
"""

from __future__ import annotations

import os
from typing import Any

from smallcoder.backends.base import Capabilities, OnText, StopCheck
from smallcoder.backends.context_fit import check_chat_request
from smallcoder.backends.discovery import ollama_url, start_hint
from smallcoder.backends.endpoints import check_allowed, is_loopback
from smallcoder.backends.gguf_tokenizer import gguf_tokenizer
from smallcoder.backends.http_errors import Failure, user_error
from smallcoder.backends.ollama_facts import OllamaModelFacts, choose_num_ctx, loaded_context
from smallcoder.backends.prompt_count import PromptCounter
from smallcoder.backends.retry import GaveUp, RetryPolicy, call_with_retries
from smallcoder.backends.stream_clock import StreamClock, close_stream
from smallcoder.backends.wire import calls_from_ollama, ollama_messages, with_tool_instructions
from smallcoder.errors import BackendError
from smallcoder.types import Completion, Message, ToolCall, ToolSpec, Usage

KEEP_ALIVE = "30m"  # outlast a slow test run between two steps; Ollama's default is 5 minutes
SAMPLING = {"top_p": 0.95, "top_k": 40, "min_p": 0.05, "repeat_penalty": 1.0}


class OllamaBackend:
    def __init__(
        self,
        model: str,
        *,
        host: str | None = None,
        ctx: int | None = None,
        temperature: float = 0.2,
        allow_remote: bool = False,
        timeout_s: float = 600.0,
        retry: RetryPolicy | None = None,
        dialect: str | None = None,
        memory_budget_bytes: int | None = None,
    ) -> None:
        import httpx
        import ollama

        self.url = ollama_url(host)
        check_allowed(self.url, allow_remote)
        self.remote = not is_loopback(self.url)
        self.model = model
        self.name = f"ollama:{model}"
        self.temperature = temperature
        self.retry = retry or RetryPolicy()
        self.on_text: OnText | None = None
        self.client = ollama.Client(host=self.url, timeout=httpx.Timeout(timeout_s, connect=5.0))
        self.facts = self._read_facts()
        self.num_ctx, self.ctx_source = choose_num_ctx(self.facts, ctx, memory_budget_bytes)
        self.context_window = self.num_ctx
        self.native_tools = self.facts.tools is not False
        from smallcoder.protocol import dialect_for_model

        self.dialect = dialect or dialect_for_model(model, self.facts.template) or dialect_for_model(
            self.facts.architecture)
        local = gguf_tokenizer(self.facts.blob_path) if not self.remote else None
        self.counter = PromptCounter(local)
        self._checked_loaded = False
        self.run_record: dict[str, Any] = {"runtime": "ollama", "endpoint": self.url, "num_ctx": self.num_ctx,
                                           "context_source": self.ctx_source}
        if self.remote:
            self.run_record["remote_endpoint"] = self.url

    # -- set-up ---------------------------------------------------------------

    def _fail(self, failure: Failure) -> Exception:
        return user_error(failure, url=self.url, model=self.model, start_hint=start_hint(self.url, "ollama"),
                          pull_hint=f"ollama pull {self.model}", context=getattr(self, "num_ctx", None))

    def _call(self, fn: Any) -> Any:
        try:
            return call_with_retries(fn, self.retry)
        except GaveUp as e:
            if e.failure.status == 404 and e.failure.kind == "status":
                e.failure.message = f"model {self.model!r} not found"  # /api/show says 404 with varying text
            raise self._fail(e.failure) from None

    def _read_facts(self) -> OllamaModelFacts:
        facts = OllamaModelFacts.from_show(self.model, self._call(lambda: self.client.show(self.model)))
        facts.loaded_context = loaded_context(self._call(self.client.ps), self.model)
        return facts

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(native_tools=self.native_tools, streaming=True,
                            fim=bool(self.facts.capabilities and "insert" in self.facts.capabilities))

    def context_advice(self, tokens: int) -> str:
        trained = self.facts.trained_context
        if trained and tokens > trained:
            return f"{self.model} was trained for {trained} tokens at most — use a model with a larger window"
        return f"run with --ctx {tokens} (sent to Ollama as num_ctx)"

    # -- the Backend protocol ---------------------------------------------------

    def count_tokens(self, messages: list[Message], tools: list[ToolSpec]) -> int:
        return self.counter.count(messages, tools)

    def complete(
        self, messages: list[Message], tools: list[ToolSpec], *, max_tokens: int, temperature: float | None = None,
        stop: StopCheck | None = None, prefill: str = "",
    ) -> Completion:
        """One streamed answer (Backend.complete); `stop` may end the stream early (the connection is closed)."""
        prompt = check_chat_request(self, messages, tools, max_tokens, prefill)
        clocks: list[StreamClock] = []

        def attempt() -> tuple[Any, StreamClock]:
            clocks.append(StreamClock(self.on_text, stop))
            return self._stream(messages, tools, max_tokens, temperature, clocks[-1]), clocks[-1]

        try:
            (final, calls), clock = call_with_retries(attempt, self.retry,
                                                      retry_if=lambda _: not clocks[-1].streamed)
        except GaveUp as e:
            if e.failure.tools_unsupported and self.native_tools and tools:
                # "registry.ollama.ai/library/x does not support tools": the text protocol instead
                self.native_tools = False
                self.counter = PromptCounter(self.counter.tokenize)
                self.run_record["tools"] = "text protocol (the model's template has no tool support)"
                return self.complete(messages, tools, max_tokens=max_tokens, temperature=temperature, stop=stop)
            raise self._fail(e.failure) from None
        completion = self._completion(final, calls, clock, prompt)
        if completion.usage.prompt_tokens > 0 and completion.usage.prompt_tokens >= 0.7 * prompt and not completion.cut:
            self.counter.observe(messages, tools, completion.usage.prompt_tokens)
        self._check_window(prompt, completion)
        return completion

    def _stream(self, messages: list[Message], tools: list[ToolSpec], max_tokens: int,
                temperature: float | None, clock: StreamClock) -> tuple[Any, list[ToolCall]]:
        native = self.native_tools and bool(tools)
        sent = messages if native else with_tool_instructions(messages, tools, self.dialect)
        options = {**SAMPLING, "num_ctx": self.num_ctx, "num_predict": max_tokens,
                   "temperature": self.temperature if temperature is None else temperature}
        stream = self.client.chat(
            model=self.model, messages=ollama_messages(sent, native), stream=True, options=options,
            tools=[t.as_openai() for t in tools] if native else None,
            keep_alive=None if os.environ.get("OLLAMA_KEEP_ALIVE") else KEEP_ALIVE,  # the user's setting wins
        )
        final: Any = None
        raw_calls: list[Any] = []
        for chunk in stream:
            msg = chunk.message
            if msg is not None:
                if clock.text(msg.content):  # the caller's stop check: close the connection, Ollama stops
                    close_stream(stream)
                    break
                if msg.tool_calls:
                    clock.token()
                    raw_calls.extend(msg.tool_calls)
            if chunk.done:
                final = chunk
        if final is None and not clock.cut:
            raise BackendError(f"Ollama at {self.url} ended the answer early (no final chunk) — try again")
        return final, calls_from_ollama(raw_calls)

    def _completion(self, final: Any, calls: list[ToolCall], clock: StreamClock, estimate: int) -> Completion:
        latency, ttft = clock.finish()
        prompt_s, generation_s = StreamClock.split(latency, ttft)
        if final is None:  # stopped by us before Ollama's final chunk: no counts, our own clock
            completion = self.counter.text_tokens(clock.joined)
            return Completion(text=clock.joined, tool_calls=calls, usage=Usage(estimate, completion),
                              latency_s=latency, ttft_s=ttft, tokens_per_s=StreamClock.rate(completion, generation_s),
                              prompt_s=prompt_s, generation_s=generation_s, cut=clock.cut)
        completion = final.eval_count or 0
        rate = StreamClock.rate(completion, (final.eval_duration or 0) / 1e9)
        if final.prompt_eval_duration is not None and final.eval_duration is not None:  # Ollama's own, in ns
            prompt_s, generation_s = final.prompt_eval_duration / 1e9, final.eval_duration / 1e9
        return Completion(
            text=clock.joined, tool_calls=calls,
            # Ollama counts cached prompt tokens in prompt_eval_count but never says how many were cached.
            usage=Usage(prompt_tokens=final.prompt_eval_count or estimate, completion_tokens=completion),
            latency_s=latency, finish_reason=final.done_reason or "stop", ttft_s=ttft, tokens_per_s=rate,
            prompt_s=prompt_s, generation_s=generation_s,
        )

    def _check_window(self, sent: int, completion: Completion) -> None:
        """Once, after the first answer: did Ollama load the model with the window we asked for?"""
        if self._checked_loaded:
            return
        self._checked_loaded = True
        try:
            actual = loaded_context(self.client.ps(), self.model)
        except Exception:  # /api/ps is advisory; older Ollamas lack context_length
            return
        if actual and actual < self.num_ctx:
            self.context_window = actual
            self.run_record["context_window_loaded"] = actual
            if sent + completion.usage.completion_tokens > actual:  # what we sent cannot have fitted
                raise BackendError(
                    f"Ollama loaded {self.model} with a context of {actual}, not the {self.num_ctx} asked for "
                    f"(not enough memory?), so it cut the prompt — run with --ctx {actual} or free memory"
                )

    def infill(self, request: Any, *, should_stop: Any = None) -> Completion:
        """Fill in the middle through /api/generate: our rendered FIM string with raw=true, or (an empty
        request.prompt) prefix + suffix through the model's template. See backends/infill_http.py."""
        import httpx

        from smallcoder.backends.infill_http import ollama_infill

        options = {**SAMPLING, "num_ctx": self.num_ctx}
        with httpx.Client(timeout=httpx.Timeout(120.0, connect=5.0)) as http:
            return ollama_infill(http, self.url, self.model, request, raw=bool(request.prompt), options=options,
                                 should_stop=should_stop)

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]
