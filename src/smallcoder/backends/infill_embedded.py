"""FIM on the embedded llama.cpp engine: the rendered FIM string, tokenized with special tokens, sent
as a token list so llama-cpp-python reuses the longest common token prefix with the previous call.

Not ``create_completion(suffix=…)``: llama-cpp-python fills its FIM markers with token id 0 there
(model-formats.md §4.5). Keystroke after keystroke the front of the prompt (other files, the prefix
up to the cursor) is unchanged, so only the tokens from the cursor on are evaluated again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smallcoder.backends.stream_clock import StreamClock
from smallcoder.errors import BackendError
from smallcoder.fim.formats import InfillRequest
from smallcoder.types import Completion, Usage

ShouldStop = Callable[[str], bool]


def has_token(llm: Any, text: str) -> bool:
    """Whether the model's vocabulary has ``text`` as one special token."""
    ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
    return len(ids) == 1 and llm.detokenize(ids, special=True).decode("utf-8", "replace") == text


def embedded_infill(llm: Any, request: InfillRequest, *, context_window: int,
                    should_stop: ShouldStop | None = None) -> Completion:
    """Generate the middle for ``request.prompt``. ``should_stop(text so far)`` is asked after every
    token; True ends generation (stop rule fired, or the request was superseded) with
    finish_reason "stop_rule". Usage: prompt tokens, and those served from the KV cache."""
    tokens = llm.tokenize(request.prompt.encode("utf-8"), add_bos=_adds_bos(llm), special=True)
    if len(tokens) + request.max_tokens > context_window:
        raise BackendError(f"FIM prompt of {len(tokens)} tokens + {request.max_tokens} exceeds the context "
                           f"window of {context_window}; send less context or raise --ctx")
    previous = llm._input_ids.tolist()[: llm.n_tokens]
    cached = 0
    for a, b in zip(previous, tokens):
        if a != b:
            break
        cached += 1
    clock = StreamClock(None)
    finish = "stop"
    stream = llm.create_completion(
        tokens, max_tokens=request.max_tokens, temperature=request.temperature, top_k=40, top_p=0.95,
        min_p=0.05, repeat_penalty=1.0, stop=list(request.stop) or None, stream=True,
    )
    try:
        for chunk in stream:
            choice = chunk["choices"][0]
            clock.text(choice.get("text"))
            finish = choice.get("finish_reason") or finish
            if should_stop is not None and should_stop(clock.joined):
                finish = "stop_rule"
                break
    except ValueError as e:
        raise BackendError(f"llama.cpp rejected the FIM request: {e}") from e
    finally:
        stream.close()  # ends generation now; the KV cache keeps what was evaluated
    latency, ttft = clock.finish()
    text = clock.joined
    generated = len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)) if text else 0
    return Completion(
        text=text,
        usage=Usage(prompt_tokens=len(tokens), completion_tokens=generated,
                    cached_tokens=min(cached, len(tokens) - 1)),  # the last prompt token is always re-evaluated
        latency_s=latency, finish_reason=finish, ttft_s=ttft, cache_source="kv",
    )


def _adds_bos(llm: Any) -> bool:
    # Qwen GGUFs say add_bos_token=false; Mistral ones true (the <s> of encode_fim, §4.2).
    flag = str(llm.metadata.get("tokenizer.ggml.add_bos_token", "true")).lower()
    return flag != "false" and llm.token_bos() != -1


def can_infill(llm: Any) -> bool:
    """Whether the model's vocabulary has a known family's FIM tokens (model-formats.md §4)."""
    from smallcoder.fim.formats import CODESTRAL_TOKENS, QWEN_TOKENS

    return all(has_token(llm, t) for t in (QWEN_TOKENS.prefix, QWEN_TOKENS.suffix, QWEN_TOKENS.middle)) or all(
        has_token(llm, t) for t in (CODESTRAL_TOKENS.prefix, CODESTRAL_TOKENS.suffix))
