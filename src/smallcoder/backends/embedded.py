"""The default engine: llama.cpp in-process through llama-cpp-python, on a GGUF file.

We render the chat template ourselves (from the GGUF) and hand llama.cpp the
token list. That lets us count tokens exactly before sending, and measure how
much of each prompt is served from the KV cache: llama-cpp-python reuses the
longest common token prefix with the previous call, so an append-only
history costs only its new tokens.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from smallcoder.backends.base import Capabilities, OnText, StopCheck, ctx_flag_advice
from smallcoder.backends.context_fit import overflows
from smallcoder.backends.gguf_facts import GGUFFacts, plan_long_context, record_load_memory, resident_bytes
from smallcoder.backends.prefix_state import MIN_PREFIX_TOKENS, PrefixStateStore
from smallcoder.backends.stream_clock import StreamClock, close_stream
from smallcoder.errors import BackendError, ConfigError, ModelNotFoundError
from smallcoder.types import Completion, Message, ToolSpec, Usage

# Used only when a GGUF carries no chat template; ChatML is what most small coding models speak.
CHATML_FALLBACK = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as e:
        raise ConfigError(
            "the embedded engine needs llama-cpp-python — install it with `pip install 'smallcoder[embedded]'`, "
            "or use a model served by Ollama or an OpenAI-compatible server"
        ) from e
    return llama_cpp


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """llama.cpp prints load logs straight to fd 2, even with verbose=False."""
    if os.environ.get("SMALLCODER_DEBUG"):
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class EmbeddedBackend:
    """One llama.cpp model and one conversation's KV cache."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        temperature: float = 0.2,
        seed: int = 1234,
        dialect: str | None = None,
        calibration_dir: Path | None = None,
        prefix_dir: Path | None = None,
    ) -> None:
        """calibration_dir: where predicted vs measured memory of this load is appended (the session
        passes its home's cache; None records nothing). prefix_dir: where the KV state of the fixed prompt
        prefix (system prompt + tool schemas) is kept between runs (backends/prefix_state.py; None = not kept)."""
        if not model_path.is_file():
            raise ModelNotFoundError(f"model file not found: {model_path}")
        llama_cpp = _import_llama_cpp()
        self.model_path = model_path
        self.name = model_path.name
        self.temperature = temperature
        try:
            with _quiet_stderr():
                probe = llama_cpp.Llama(str(model_path), vocab_only=True, verbose=False)
                self.facts = GGUFFacts.from_metadata(dict(probe.metadata), file_bytes=model_path.stat().st_size)
                del probe
                self.context_window = n_ctx or self.facts.choose_context()
                # past the trained window: YaRN, only if the model supports it and memory allows
                self.rope = plan_long_context(self.facts, model_path, self.context_window)
                rss_before = resident_bytes()
                threads = n_threads or os.cpu_count() or 2
                self.llm = llama_cpp.Llama(
                    str(model_path),
                    n_ctx=self.context_window,
                    # prompt evaluation too: llama-cpp-python gives batches every CPU unless told, so a user's
                    # `threads = 1` on a busy machine still fought every core for each prompt
                    n_threads=threads,
                    n_threads_batch=threads,
                    n_batch=512,
                    seed=seed,
                    verbose=False,
                    **self.rope.kwargs,
                )
                if calibration_dir is not None:
                    record_load_memory(calibration_dir, self.facts, model_path, self.context_window, rss_before)
        except (ValueError, RuntimeError) as e:
            raise BackendError(f"llama.cpp could not load {model_path.name}: {e} — is it a valid GGUF file?") from e
        template = self.facts.chat_template or CHATML_FALLBACK
        self.template_has_tools = "tools" in template
        eos_id = self.llm.token_eos()
        self.eos = self.llm._model.token_get_text(eos_id) if eos_id != -1 else ""
        bos_id = self.llm.token_bos()
        bos = self.llm._model.token_get_text(bos_id) if bos_id != -1 else ""
        self.formatter = llama_cpp.llama_chat_format.Jinja2ChatFormatter(
            template=template, eos_token=self.eos, bos_token=bos
        )
        self.dialect = dialect or _dialect_for(self.facts)
        self.on_text: OnText | None = None  # set by a session to show the answer as it is written
        self.run_record: dict[str, Any] = {"runtime": "llama.cpp (embedded)", "model_file": str(model_path)}
        if self.rope.description:  # long context through YaRN: the record says so
            self.run_record["rope_scaling"] = self.rope.description
        self.prefix_states: PrefixStateStore | None = None
        if prefix_dir is not None:
            settings = {"n_ctx": self.context_window, "n_batch": 512, "rope": self.rope.kwargs}
            self.prefix_states = PrefixStateStore(
                prefix_dir, PrefixStateStore.identity_of(model_path, llama_cpp.__version__, **settings))

    @property
    def capabilities(self) -> Capabilities:
        from smallcoder.backends.infill_embedded import can_infill

        return Capabilities(cached_tokens=True, streaming=True, fim=can_infill(self.llm), prefill=True)

    def context_advice(self, tokens: int) -> str:
        return ctx_flag_advice(tokens)

    # -- prompt ---------------------------------------------------------------

    def render(self, messages: list[Message], tools: list[ToolSpec]) -> str:
        wire = [_to_template_message(m) for m in messages]
        kwargs: dict[str, Any] = {}
        if tools and self.template_has_tools:
            kwargs["tools"] = [t.as_openai() for t in tools]
        elif tools and wire and wire[0]["role"] == "system":
            from smallcoder.protocol import render_tool_instructions

            wire[0]["content"] += "\n\n" + render_tool_instructions(tools, self.dialect or "hermes")
        return str(self.formatter(messages=wire, **kwargs).prompt)

    def _tokens(self, prompt: str) -> list[int]:
        return list(self.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True))

    def count_tokens(self, messages: list[Message], tools: list[ToolSpec]) -> int:
        return len(self._tokens(self.render(messages, tools)))

    # -- generation -----------------------------------------------------------

    def complete(
        self, messages: list[Message], tools: list[ToolSpec], *, max_tokens: int, temperature: float | None = None,
        stop: StopCheck | None = None, prefill: str = "",
    ) -> Completion:
        """One streamed answer (Backend.complete). Time to first token is this prompt's evaluation (only its
        tokens past the KV cache's common prefix), the rest is generation; `stop` may end the stream early.
        `prefill` is appended after the chat template's assistant header, so the reply starts with it."""
        tokens = self._tokens(self.render(messages, tools) + prefill)
        if overflows(self, len(tokens), max_tokens):
            raise BackendError(
                f"prompt of {len(tokens)} tokens + {max_tokens} for the answer exceeds the context window "
                f"of {self.context_window}; run with a larger --ctx"
            )
        clock = StreamClock(self.on_text, stop)  # streamed, so time to first token is measured like on servers
        clock.prefill(prefill)
        cached = self._restore_prefix(messages, tools, tokens, _common_prefix(self.llm._input_ids.tolist(), tokens))
        finish = "stop"
        try:
            stream = self.llm.create_completion(
                tokens,
                max_tokens=max_tokens,
                temperature=self.temperature if temperature is None else temperature,
                top_p=0.95,
                top_k=40,
                min_p=0.05,
                repeat_penalty=1.0,
                stop=[s for s in (self.eos, "<|endoftext|>") if s],
                stream=True,
            )
            for chunk in stream:
                choice = chunk["choices"][0]
                if clock.text(choice.get("text")):
                    close_stream(stream)  # no more tokens are generated; those evaluated stay in the KV cache
                    break
                finish = choice.get("finish_reason") or finish
        except ValueError as e:
            raise BackendError(f"llama.cpp rejected the request: {e}") from e
        latency, ttft = clock.finish()
        prompt_s, generation_s = StreamClock.split(latency, ttft)
        text = clock.joined
        generated = self._count(text) - self._count(prefill)
        return Completion(
            text=text,
            usage=Usage(
                prompt_tokens=len(tokens),
                completion_tokens=generated,
                # generate() re-evaluates the last prompt token even on a full match
                cached_tokens=min(cached, len(tokens) - 1),
            ),
            latency_s=latency,
            finish_reason=finish,
            ttft_s=ttft,
            tokens_per_s=StreamClock.rate(generated, generation_s),
            cache_source="kv",
            prompt_s=prompt_s,
            generation_s=generation_s,
            cut=clock.cut,
        )

    def _count(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)) if text else 0

    def _restore_prefix(self, messages: list[Message], tools: list[ToolSpec], tokens: list[int], cached: int) -> int:
        """When the KV cache lacks this conversation's fixed prefix (the system message with the tool schemas:
        a new run), load its saved state, or evaluate and save it. Returns the prompt tokens served from a
        cache: `cached`, or the prefix's length when it came from disk."""
        if self.prefix_states is None or not messages or messages[0].role != "system":
            return cached
        head = self._tokens(self.render(messages[:1], tools))
        n = _common_prefix(head, tokens)  # up to where the system turn ends and the conversation begins
        if n < MIN_PREFIX_TOKENS or n >= len(tokens) or cached >= n:
            return cached
        try:
            outcome = self.prefix_states.restore(self.llm, _import_llama_cpp(), tokens[:n])
        except (ValueError, RuntimeError) as e:  # evaluating the prefix failed, as the whole prompt would have
            raise BackendError(f"llama.cpp could not evaluate the prompt: {e}") from e
        self.run_record["prompt_state"] = f"{outcome.action or 'evaluated'} {outcome.tokens} prefix tokens"
        if outcome.note:
            self.run_record["prompt_state_note"] = outcome.note
            print(f"note: {outcome.note}", file=sys.stderr)
        return n if outcome.action == "loaded" else cached

    def infill(self, request: Any, *, should_stop: Any = None) -> Completion:
        """Fill in the middle (fim.formats.InfillRequest → Completion); keystroke after keystroke only the
        tokens from the cursor on are evaluated. See backends/infill_embedded.py."""
        from smallcoder.backends.infill_embedded import embedded_infill

        return embedded_infill(self.llm, request, context_window=self.context_window, should_stop=should_stop)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.llm.close()


def _to_template_message(m: Message) -> dict[str, Any]:
    # The assistant's own raw text goes back verbatim (tool-call tags included): the
    # prompt then extends exactly what the model generated, and the KV cache holds.
    return {"role": m.role, "content": m.content}


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _dialect_for(facts: GGUFFacts) -> str | None:
    try:
        from smallcoder.protocol import dialect_for_model
    except ImportError:
        return "hermes"
    return dialect_for_model(facts.name or facts.architecture, facts.chat_template) or dialect_for_model(
        facts.architecture, facts.chat_template
    )
