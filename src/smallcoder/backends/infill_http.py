"""FIM over HTTP, one function per runtime API; each streams and stops reading as soon as
``should_stop`` says so (closing the response makes the server abandon the generation).

- llama.cpp llama-server ``POST /infill`` (model-formats.md §4.3): ``input_prefix``, ``input_suffix``,
  ``input_extra`` ``[{"filename", "text"}]``, ``n_predict``, ``cache_prompt``; the server builds the FIM
  prompt from the model's own tokens (repo-level when its vocabulary has them). Streamed chunks are
  ``data: {"content", "stop", "timings": {"prompt_n", "cache_n", …}}``.
- OpenAI-compatible ``POST /v1/completions`` with our rendered FIM string as ``prompt`` (llama-cpp-python's
  server, vLLM, LM Studio, llama-server): ``data: {"choices": [{"text", "finish_reason"}], "usage"?}``.
- Ollama ``POST /api/generate`` (§4.4): ``raw: true`` with our rendered string when we know the model's
  FIM tokens (other files can then be carried), else ``prompt`` + ``suffix`` through the model's template
  (needs the ``insert`` capability). NDJSON lines with ``response``, ``done``, ``prompt_eval_count``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from smallcoder.backends.stream_clock import StreamClock
from smallcoder.errors import BackendError
from smallcoder.fim.formats import InfillRequest, split_typed_line
from smallcoder.types import Completion, Usage

ShouldStop = Callable[[str], bool]


def _sse(response: httpx.Response) -> Iterator[dict[str, Any]]:
    for line in response.iter_lines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            yield json.loads(data)
        except ValueError:
            continue


def _ndjson(response: httpx.Response) -> Iterator[dict[str, Any]]:
    for line in response.iter_lines():
        if line.strip():
            try:
                yield json.loads(line)
            except ValueError:
                continue


def _post_stream(http: httpx.Client, url: str, body: dict[str, Any], what: str) -> httpx.Response:
    try:
        response = http.send(http.build_request("POST", url, json=body), stream=True)
    except httpx.HTTPError as e:
        raise BackendError(f"{what} at {url} did not answer: {e}") from e
    if response.status_code != 200:
        response.read()
        detail = response.text.strip().replace("\n", " ")[:200]
        response.close()
        if response.status_code == 404:
            raise BackendError(f"{url} does not exist — this server offers no {what} endpoint")
        raise BackendError(f"{what} at {url} failed with HTTP {response.status_code}: {detail}")
    return response


def _run(response: httpx.Response, chunks: Iterator[dict[str, Any]], piece: Callable[[dict[str, Any]], str],
         should_stop: ShouldStop | None, clock: StreamClock) -> tuple[str, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []
    finish = "stop"
    try:
        for chunk in chunks:
            seen.append(chunk)
            clock.text(piece(chunk))
            if should_stop is not None and should_stop(clock.joined):
                finish = "stop_rule"
                break
    except httpx.HTTPError as e:
        raise BackendError(f"the FIM stream broke off: {e}") from e
    finally:
        response.close()
    return finish, seen


def llama_server_infill(http: httpx.Client, base_url: str, request: InfillRequest, *,
                        should_stop: ShouldStop | None = None, id_slot: int | None = None) -> Completion:
    """``/infill`` on llama-server. ``base_url`` is the server root (no ``/v1``). Code typed on the
    cursor's line goes in ``prompt`` (after the middle token, model-formats.md §4.3), so keystrokes on
    one line change only the end of the slot's prompt and ``cache_prompt`` keeps the suffix too."""
    prefix, typed = split_typed_line(request.prefix)
    body: dict[str, Any] = {
        "input_prefix": prefix, "input_suffix": request.suffix, "prompt": typed,
        "input_extra": [{"filename": f.path, "text": f.text} for f in request.files],
        "n_predict": request.max_tokens, "temperature": request.temperature, "top_k": 40, "top_p": 0.95,
        "stop": list(request.stop), "cache_prompt": True, "stream": True,
    }
    if id_slot is not None:
        body["id_slot"] = id_slot
    clock = StreamClock(None)
    response = _post_stream(http, base_url.rstrip("/") + "/infill", body, "llama-server /infill")
    finish, seen = _run(response, _sse(response), lambda c: str(c.get("content") or ""), should_stop, clock)
    latency, ttft = clock.finish()
    timings: dict[str, Any] = next((c["timings"] for c in reversed(seen) if isinstance(c.get("timings"), dict)), {})
    evaluated, cached = int(timings.get("prompt_n") or 0), int(timings.get("cache_n") or 0)
    return Completion(text=clock.joined, usage=Usage(prompt_tokens=evaluated + cached,
                                                     completion_tokens=int(timings.get("predicted_n") or len(seen)),
                                                     cached_tokens=cached),
                      latency_s=latency, finish_reason=finish, ttft_s=ttft,
                      cache_source="timings" if timings else "")


def openai_completions_infill(http: httpx.Client, base_url: str, model: str, request: InfillRequest, *,
                              should_stop: ShouldStop | None = None,
                              extra: dict[str, Any] | None = None) -> Completion:
    """``/v1/completions`` with the rendered FIM prompt. ``base_url`` ends in ``/v1``."""
    body: dict[str, Any] = {
        "model": model, "prompt": request.prompt, "max_tokens": request.max_tokens,
        "temperature": request.temperature, "top_p": 0.95, "stream": True,
        "stream_options": {"include_usage": True}, **(extra or {}),
    }
    if request.stop:
        body["stop"] = list(request.stop)[:4]  # the OpenAI API takes at most four; strip_special does the rest
    clock = StreamClock(None)
    response = _post_stream(http, base_url.rstrip("/") + "/completions", body, "/v1/completions")

    def piece(c: dict[str, Any]) -> str:
        choices = c.get("choices") or [{}]
        return str(choices[0].get("text") or "")

    finish, seen = _run(response, _sse(response), piece, should_stop, clock)
    latency, ttft = clock.finish()
    usage: dict[str, Any] = next((c["usage"] for c in reversed(seen) if isinstance(c.get("usage"), dict)), {})
    timings: dict[str, Any] = next((c["timings"] for c in reversed(seen) if isinstance(c.get("timings"), dict)), {})
    cached = int(timings.get("cache_n") or (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    return Completion(text=clock.joined,
                      usage=Usage(prompt_tokens=int(usage.get("prompt_tokens") or 0),
                                  completion_tokens=int(usage.get("completion_tokens") or len(seen)),
                                  cached_tokens=cached),
                      latency_s=latency, finish_reason=finish, ttft_s=ttft,
                      cache_source="timings" if timings else ("usage" if cached else ""))


def ollama_infill(http: httpx.Client, url: str, model: str, request: InfillRequest, *, raw: bool,
                  options: dict[str, Any], should_stop: ShouldStop | None = None) -> Completion:
    """``/api/generate``: ``raw`` sends our rendered string; otherwise prefix + ``suffix`` via the template."""
    body: dict[str, Any] = {"model": model, "stream": True, "keep_alive": "30m",
                            "options": {**options, "num_predict": request.max_tokens,
                                        "temperature": request.temperature, "stop": list(request.stop)}}
    if raw:
        body.update(prompt=request.prompt, raw=True)
    else:
        body.update(prompt=request.prefix, suffix=request.suffix)
    clock = StreamClock(None)
    response = _post_stream(http, url.rstrip("/") + "/api/generate", body, "Ollama /api/generate")
    finish, seen = _run(response, _ndjson(response), lambda c: str(c.get("response") or ""), should_stop, clock)
    latency, ttft = clock.finish()
    for c in seen:
        if c.get("error"):
            raise BackendError(f"Ollama: {c['error']}")
    last = seen[-1] if seen and seen[-1].get("done") else {}
    return Completion(text=clock.joined, usage=Usage(prompt_tokens=int(last.get("prompt_eval_count") or 0),
                                                     completion_tokens=int(last.get("eval_count") or len(seen))),
                      latency_s=latency, finish_reason=finish, ttft_s=ttft)
