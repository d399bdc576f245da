"""Model specs that name a server rather than a file.

    ollama:NAME                 a model in Ollama ($OLLAMA_HOST, --base-url, or 127.0.0.1:11434)
    openai:BASE_URL#MODEL       a model on an OpenAI-compatible server
    openai:BASE_URL             … its first (or only) model
    openai:MODEL                … on the server given with --base-url
    auto                        the first runtime found on its default local port (or at --base-url)
"""

from __future__ import annotations

from typing import Any

from smallcoder.errors import ConfigError, ModelNotFoundError

SERVER_PREFIXES = ("ollama:", "openai:")


def is_server_spec(spec: str) -> bool:
    return spec.startswith(SERVER_PREFIXES) or spec == "auto"


def split_openai(ref: str, base_url: str | None) -> tuple[str, str | None]:
    """"URL#MODEL" | "URL" | "MODEL" (with --base-url) → (url, model or None)."""
    if ref.startswith(("http://", "https://")):
        url, _, model = ref.partition("#")
        return url, model or None
    if not base_url:
        raise ConfigError(f"openai:{ref} names no server — use openai:http://HOST:PORT/v1#{ref or 'MODEL'} "
                          "or pass --base-url")
    return base_url, ref.lstrip("#") or None


def open_server_backend(spec: str, config: Any) -> Any:
    """The backend for a server spec; `config` is a models.config.UserConfig."""
    base_url = getattr(config, "base_url", None)
    common: dict[str, Any] = {"ctx": config.ctx, "temperature": config.temperature,
                              "allow_remote": bool(getattr(config, "allow_remote", False))}
    if spec == "auto":
        from smallcoder.backends.discovery import discover_spec

        found = discover_spec(base_url)
        if found is None:
            where = base_url or "the default local ports (Ollama 11434, llama-server 8080, LM Studio 1234, 8000)"
            raise ModelNotFoundError(f"no model server with a model found at {where} — start one "
                                     "(e.g. `ollama serve`), or pass --model PATH.gguf")
        spec = found
    if spec.startswith("ollama:"):
        from smallcoder.backends.ollama import OllamaBackend

        name = spec.removeprefix("ollama:")
        if not name:
            raise ConfigError("ollama: needs a model name, e.g. --model ollama:qwen2.5-coder:7b")
        return OllamaBackend(name, host=base_url, **common)
    from smallcoder.backends.openai_compat import OpenAICompatBackend

    url, model = split_openai(spec.removeprefix("openai:"), base_url)
    return OpenAICompatBackend(url, model, api_key_env=getattr(config, "api_key_env", None), **common)
