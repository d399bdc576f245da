"""Find a model runtime already listening on this machine, on its default port.

    Ollama              11434   GET /api/tags
    llama-server         8080   GET /v1/models
    LM Studio            1234   GET /v1/models
    vLLM, llama-cpp-py   8000   GET /v1/models

Only loopback addresses are probed, with a short timeout, so discovery costs
nothing when nothing runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from smallcoder.backends.endpoints import normalize_url, openai_base, server_root

OLLAMA_PORT = 11434
DEFAULT_URLS = (
    f"http://127.0.0.1:{OLLAMA_PORT}",
    "http://127.0.0.1:8080/v1",
    "http://127.0.0.1:1234/v1",
    "http://127.0.0.1:8000/v1",
)
# Preferred when a runtime serves several models: the coding ones.
_CODER_HINTS = ("coder", "devstral", "codestral", "starcoder", "deepseek-coder", "codellama", "qwen")


@dataclass
class Runtime:
    kind: str  # "ollama" | "openai"
    url: str
    models: list[str] = field(default_factory=list)
    version: str = ""

    def spec(self, model: str | None = None) -> str:
        name = model or pick_model(self.models) or ""
        return f"ollama:{name}" if self.kind == "ollama" else f"openai:{self.url}#{name}".rstrip("#")


def ollama_url(configured: str | None = None) -> str:
    """Where Ollama is: the configured URL, $OLLAMA_HOST, or its default port on loopback."""
    raw = (configured or os.environ.get("OLLAMA_HOST") or "").strip() or f"127.0.0.1:{OLLAMA_PORT}"
    parts = urlsplit(normalize_url(raw))
    host = parts.hostname or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # a bind-all address: connect on loopback
        host = "127.0.0.1"
    # Like the ollama client: no port means 11434, except for an https URL (a proxy on 443).
    port = parts.port or (None if parts.scheme == "https" else OLLAMA_PORT)
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    return f"{parts.scheme}://{netloc}{parts.path}"


def pick_model(models: list[str]) -> str | None:
    for hint in _CODER_HINTS:
        for name in models:
            if hint in name.lower():
                return name
    return models[0] if models else None


def probe(url: str, timeout: float = 0.5) -> Runtime | None:
    """The runtime answering at `url`, or None. Tries Ollama's API first, then the OpenAI one."""
    root = server_root(url)
    try:
        with httpx.Client(timeout=timeout) as http:
            r = http.get(f"{root}/api/tags")
            if r.status_code == 200 and isinstance(r.json().get("models"), list):
                version = http.get(f"{root}/api/version")
                v = version.json().get("version", "") if version.status_code == 200 else ""
                return Runtime("ollama", root, [str(m.get("name") or m.get("model")) for m in r.json()["models"]], v)
            base = openai_base(url)
            r = http.get(f"{base}/models")
            if r.status_code == 200 and isinstance(r.json().get("data"), list):
                return Runtime("openai", base, [str(m.get("id")) for m in r.json()["data"] if m.get("id")])
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return None


def discover(urls: tuple[str, ...] | list[str] | None = None, timeout: float = 0.5) -> list[Runtime]:
    found = []
    seen = set()
    for url in urls or (ollama_url(), *DEFAULT_URLS):
        key = server_root(url)
        if key in seen:
            continue
        seen.add(key)
        runtime = probe(url, timeout)
        if runtime is not None:
            found.append(runtime)
    return found


def discover_spec(base_url: str | None = None) -> str | None:
    """A model spec for the first runtime found that serves a model (at `base_url` only, when given)."""
    for runtime in discover([base_url] if base_url else None):
        if runtime.models:
            return runtime.spec()
    return None


def start_hint(url: str, flavor: str | None = None) -> str:
    """The command that starts the runtime expected at `url`, for "nothing answers" errors."""
    port = urlsplit(normalize_url(url)).port
    if flavor == "ollama" or port == OLLAMA_PORT:
        return "ollama serve"
    if flavor == "lmstudio" or port == 1234:
        return "lms server start"
    if flavor == "vllm":
        return f"vllm serve MODEL --port {port or 8000} --max-model-len 32768"
    if flavor == "llama-cpp-python" or port == 8000:
        return f"python -m llama_cpp.server --model MODEL.gguf --n_ctx 16384 --port {port or 8000}"
    return f"llama-server -m MODEL.gguf -c 16384 --jinja --port {port or 8080}"
