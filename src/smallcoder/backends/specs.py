"""The one model-spec grammar: a prefix → opener table.

    PATH.gguf                   a local GGUF file, run in-process by llama.cpp (embedded)
    hf:REPO[:QUANT]             a GGUF downloaded from the Hugging Face Hub (default quant Q4_K_M), then embedded
    ollama:NAME                 a model in Ollama ($OLLAMA_HOST, --base-url, or 127.0.0.1:11434)
    openai:BASE_URL#MODEL       a model on an OpenAI-compatible server (…#MODEL optional: its first model)
    openai:MODEL                … on the server given with --base-url
    auto                        the first runtime found on its default local port (or at --base-url)
    scripted:FILE.json          replay prepared outputs (tests, demos)

Which spec: `config.model` (flag > $SMALLCODER_MODEL > config file, merged by config.py), then `auto`
when a base URL is configured, then the first GGUF in the model directory, then a running local server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smallcoder.backends.base import Backend
from smallcoder.config import UserConfig
from smallcoder.errors import ConfigError, ModelNotFoundError
from smallcoder.models.download import RECOMMENDED, download_from_hub
from smallcoder.paths import Home
from smallcoder.protocol import DIALECTS

Opener = Callable[[str, UserConfig, Home], Backend]


def choose_spec(config: UserConfig, home: Home) -> str:
    """The spec to open; raises ModelNotFoundError (saying how to get a model) when there is none."""
    if config.model:
        return config.model
    if config.base_url:
        return "auto"
    cached = sorted(home.models.rglob("*.gguf"))
    if cached:
        return str(cached[0])
    from smallcoder.backends.discovery import discover_spec

    if found := discover_spec():
        return found
    raise ModelNotFoundError(
        f"no model configured — pass --model PATH.gguf, set SMALLCODER_MODEL, or download one with "
        f"`--model {RECOMMENDED}` (any GGUF placed in {home.models} is found automatically)"
    )


def open_backend(spec: str, config: UserConfig, home: Home) -> Backend:
    """The backend for `spec`, with the config's dialect override applied. Raises ConfigError or
    ModelNotFoundError (one line each) for a malformed spec, an unknown dialect or a missing model."""
    if config.dialect and config.dialect not in DIALECTS:  # checked before anything is loaded
        raise ConfigError(f"unknown dialect {config.dialect!r} in the config; known: {', '.join(DIALECTS)}")
    prefix = "auto" if spec == "auto" else next((p for p in OPENERS if p not in ("", "auto") and spec.startswith(p)), "")
    backend = OPENERS[prefix](spec.removeprefix(prefix), config, home)
    if config.dialect:  # the user knows better than detection (e.g. a fine-tune with another format)
        backend.dialect = config.dialect
    return backend


def split_openai(ref: str, base_url: str | None) -> tuple[str, str | None]:
    """"URL#MODEL" | "URL" | "MODEL" (with --base-url) → (url, model or None)."""
    if ref.startswith(("http://", "https://")):
        url, _, model = ref.partition("#")
        return url, model or None
    if not base_url:
        raise ConfigError(f"openai:{ref} names no server — use openai:http://HOST:PORT/v1#{ref or 'MODEL'} "
                          "or pass --base-url")
    return base_url, ref.lstrip("#") or None


def _server_options(config: UserConfig) -> dict[str, Any]:
    return {"ctx": config.ctx, "temperature": config.temperature, "allow_remote": config.allow_remote}


def _open_ollama(name: str, config: UserConfig, home: Home) -> Backend:
    from smallcoder.backends.ollama import OllamaBackend

    if not name:
        raise ConfigError("ollama: needs a model name, e.g. --model ollama:qwen2.5-coder:7b")
    return OllamaBackend(name, host=config.base_url, **_server_options(config))


def _open_openai(ref: str, config: UserConfig, home: Home) -> Backend:
    from smallcoder.backends.openai_compat import OpenAICompatBackend

    url, model = split_openai(ref, config.base_url)
    return OpenAICompatBackend(url, model, api_key_env=config.api_key_env, **_server_options(config))


def _open_auto(_: str, config: UserConfig, home: Home) -> Backend:
    from smallcoder.backends.discovery import discover_spec

    found = discover_spec(config.base_url)
    if found is None:
        where = config.base_url or "the default local ports (Ollama 11434, llama-server 8080, LM Studio 1234, 8000)"
        raise ModelNotFoundError(f"no model server with a model found at {where} — start one "
                                 "(e.g. `ollama serve`), or pass --model PATH.gguf")
    return open_backend(found, config, home)


def _open_scripted(path: str, config: UserConfig, home: Home) -> Backend:
    from smallcoder.backends.scripted import ScriptedBackend

    return ScriptedBackend.from_file(Path(path).expanduser())


def _open_hub(ref: str, config: UserConfig, home: Home) -> Backend:
    return _open_gguf(str(download_from_hub(ref, home.models)), config, home)


def _open_gguf(path_text: str, config: UserConfig, home: Home) -> Backend:
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise ModelNotFoundError(
            f"model file not found: {path} — check the path, or download one with `--model {RECOMMENDED}`"
        )
    from smallcoder.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(path, n_ctx=config.ctx, n_threads=config.threads, temperature=config.temperature,
                           calibration_dir=home.cache, prefix_dir=home.cache / "kv-prefix")


# "auto" matches only as the whole spec; "" (anything else) is a GGUF path.
OPENERS: dict[str, Opener] = {
    "ollama:": _open_ollama,
    "openai:": _open_openai,
    "auto": _open_auto,
    "scripted:": _open_scripted,
    "hf:": _open_hub,
    "": _open_gguf,
}
