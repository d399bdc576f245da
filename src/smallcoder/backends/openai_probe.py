"""What an OpenAI-compatible server is, and the context window it really gives us.

Each runtime reports its window somewhere else (reference/model-formats.md §5.5):

    llama-server       GET /slots → [].n_ctx (per slot), else GET /props → default_generation_settings.n_ctx
    vLLM               GET /v1/models → data[].max_model_len
    LM Studio          GET /api/v1/models → loaded_instances[].config.context_length
    llama-cpp-python   nowhere; its over-long-prompt error states it, and that check runs
                       before any evaluation, so an oversized prompt is a cheap, exact probe
    anything else      unknown: the user declares it with --ctx

The probe also finds the model's tokenizer endpoint, when there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from smallcoder.backends.endpoints import server_root
from smallcoder.backends.http_errors import context_limit_in

# " 0" is two tokens in every tokenizer we know, so this is ≥ 262,144 tokens: more than any window a
# llama-cpp-python server runs a small model with. It is rejected after tokenizing (~0.3 s), never evaluated.
_PROBE_TEXT = " 0" * 131_072


@dataclass
class ServerFacts:
    flavor: str  # llama-server | llama-cpp-python | vllm | lmstudio | openai
    models: list[str] = field(default_factory=list)
    context: int | None = None  # the window one request gets
    context_source: str = ""
    trained_context: int | None = None
    chat_template: str | None = None
    tools: bool | None = None  # None: unknown until tried
    tokenize: Callable[[str], int] | None = None
    model_info: dict[str, Any] = field(default_factory=dict)


def _get(http: httpx.Client, url: str) -> Any | None:
    try:
        r = http.get(url)
    except httpx.HTTPError:
        return None
    if r.status_code != 200:
        return None
    try:
        return r.json()
    except ValueError:
        return None


def probe_server(http: httpx.Client, base_url: str, model: str | None, listed: list[dict[str, Any]]) -> ServerFacts:
    """`listed`: the entries of GET /v1/models (already fetched by the caller)."""
    root = server_root(base_url)
    ids = [str(m.get("id")) for m in listed if m.get("id")]
    chosen = next((m for m in listed if m.get("id") == model), listed[0] if listed else {})
    props = _get(http, f"{root}/props")
    if isinstance(props, dict) and ("default_generation_settings" in props or "total_slots" in props):
        return _llama_server(http, root, props, chosen, ids)
    if "max_model_len" in chosen:
        return _vllm(http, root, chosen, ids)
    lms = _get(http, f"{root}/api/v1/models")
    if isinstance(lms, dict) and isinstance(lms.get("models"), list):
        return _lmstudio(lms["models"], model or chosen.get("id"), ids)
    if chosen.get("owned_by") == "me" and _tokenize_count(http, root, "x") is not None:
        return _llama_cpp_python(http, base_url, root, chosen, ids)
    return ServerFacts("openai", ids)


def _llama_server(http: httpx.Client, root: str, props: dict[str, Any], chosen: dict[str, Any],
                  ids: list[str]) -> ServerFacts:
    facts = ServerFacts("llama-server", ids, chat_template=props.get("chat_template") or None)
    slots = _get(http, f"{root}/slots")
    reported = [s.get("n_ctx") for s in slots if isinstance(s, dict)] if isinstance(slots, list) else []
    per_slot: list[int] = [n for n in reported if isinstance(n, int) and n > 0]
    settings = props.get("default_generation_settings") or {}
    if per_slot:
        facts.context, facts.context_source = min(per_slot), "/slots n_ctx"
    elif isinstance(settings.get("n_ctx"), int):
        facts.context, facts.context_source = settings["n_ctx"], "/props n_ctx"
    meta = chosen.get("meta") or {}
    facts.trained_context = meta.get("n_ctx_train") if isinstance(meta.get("n_ctx_train"), int) else None
    if facts.chat_template is not None:
        facts.tools = "tools" in facts.chat_template
    facts.model_info = {"model_path": props.get("model_path"), "total_slots": props.get("total_slots")}

    def tokenize(text: str) -> int:
        r = http.post(f"{root}/tokenize", json={"content": text, "add_special": False})
        r.raise_for_status()
        return len(r.json()["tokens"])

    facts.tokenize = tokenize
    return facts


def _vllm(http: httpx.Client, root: str, chosen: dict[str, Any], ids: list[str]) -> ServerFacts:
    facts = ServerFacts("vllm", ids, context=int(chosen["max_model_len"]), context_source="max_model_len")
    facts.trained_context = facts.context
    name = chosen.get("id")

    def tokenize(text: str) -> int:
        r = http.post(f"{root}/tokenize", json={"model": name, "prompt": text, "add_special_tokens": False})
        r.raise_for_status()
        return int(r.json()["count"])

    facts.tokenize = tokenize
    return facts


def _lmstudio(models: list[dict[str, Any]], model: str | None, ids: list[str]) -> ServerFacts:
    facts = ServerFacts("lmstudio", ids)
    for entry in models:
        instances = entry.get("loaded_instances") or []
        names = {entry.get("key"), *(i.get("id") for i in instances)}
        if model not in names:
            continue
        if isinstance(entry.get("max_context_length"), int):
            facts.trained_context = entry["max_context_length"]
        loaded = [i.get("config", {}).get("context_length") for i in instances]
        loaded = [n for n in loaded if isinstance(n, int) and n > 0]
        if loaded:
            facts.context, facts.context_source = min(loaded), "LM Studio loaded_instances context_length"
        caps = entry.get("capabilities") or {}
        if "trained_for_tool_use" in caps:
            facts.tools = bool(caps["trained_for_tool_use"])
        break
    return facts


def _tokenize_count(http: httpx.Client, root: str, text: str) -> int | None:
    try:
        r = http.post(f"{root}/extras/tokenize/count", json={"input": text})
        return int(r.json()["count"]) if r.status_code == 200 else None
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def _llama_cpp_python(http: httpx.Client, base_url: str, root: str, chosen: dict[str, Any],
                      ids: list[str]) -> ServerFacts:
    facts = ServerFacts("llama-cpp-python", ids)
    try:
        r = http.post(f"{base_url}/completions", json={"model": chosen.get("id"), "prompt": _PROBE_TEXT,
                                                        "max_tokens": 1})
        limit = context_limit_in(r.text) if r.status_code >= 400 else None
    except httpx.HTTPError:
        limit = None
    if limit:
        facts.context, facts.context_source = limit, "over-long prompt probe"

    def tokenize(text: str) -> int:
        n = _tokenize_count(http, root, text)
        if n is None:
            raise RuntimeError("tokenize endpoint failed")
        return n

    facts.tokenize = tokenize
    return facts
