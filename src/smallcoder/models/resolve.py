"""Turn a model spec into a backend.

Order: --model, $SMALLCODER_MODEL, the config file, then the first GGUF in the
model cache directory. Specs:

    PATH.gguf               a local GGUF file (embedded llama.cpp)
    hf:REPO[:QUANT]         download a GGUF from the Hugging Face Hub (default quant Q4_K_M)
    scripted:FILE.json      replay prepared outputs (tests, demos)
    ollama:NAME, openai:BASE_URL#MODEL, auto   a model server (see backends/specs.py)
"""

from __future__ import annotations

import os
from pathlib import Path

from smallcoder.backends.base import Backend
from smallcoder.errors import ConfigError, ModelNotFoundError
from smallcoder.models.config import UserConfig
from smallcoder.store.paths import smallcoder_home

RECOMMENDED = "hf:Qwen/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M"


def models_dir() -> Path:
    path = Path(os.environ.get("SMALLCODER_MODELS_DIR") or smallcoder_home() / "models")
    path.mkdir(parents=True, exist_ok=True)
    return path


def choose_spec(flag: str | None, config: UserConfig) -> str:
    spec = flag or os.environ.get("SMALLCODER_MODEL") or config.model
    if spec:
        return spec
    if config.base_url:
        return "auto"
    cached = sorted(models_dir().rglob("*.gguf"))
    if cached:
        return str(cached[0])
    from smallcoder.backends.discovery import discover_spec

    if found := discover_spec():
        return found
    raise ModelNotFoundError(
        f"no model configured — pass --model PATH.gguf, set SMALLCODER_MODEL, or download one with "
        f"`--model {RECOMMENDED}` (any GGUF placed in {models_dir()} is found automatically)"
    )


def open_backend(spec: str, config: UserConfig) -> Backend:
    backend = _open(spec, config)
    if config.dialect:  # the user knows better than detection (e.g. a fine-tune with another format)
        from smallcoder.protocol import DIALECTS

        if config.dialect not in DIALECTS:
            backend.close()
            raise ConfigError(f"unknown dialect {config.dialect!r} in the config; known: {', '.join(DIALECTS)}")
        backend.dialect = config.dialect
    return backend


def _open(spec: str, config: UserConfig) -> Backend:
    from smallcoder.backends.specs import is_server_spec, open_server_backend

    if is_server_spec(spec):
        return open_server_backend(spec, config)
    if spec.startswith("scripted:"):
        from smallcoder.backends.scripted import ScriptedBackend

        return ScriptedBackend.from_file(Path(spec.removeprefix("scripted:")).expanduser())
    if spec.startswith("hf:"):
        path = download_from_hub(spec.removeprefix("hf:"))
    else:
        path = Path(spec).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(
                f"model file not found: {path} — check the path, or download one with `--model {RECOMMENDED}`"
            )
    from smallcoder.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(path, n_ctx=config.ctx, n_threads=config.threads, temperature=config.temperature)


def download_from_hub(ref: str) -> Path:
    """REPO[:QUANT] → local path of the GGUF, downloading it (with a progress bar) if needed."""
    repo, _, quant = ref.partition(":")
    quant = (quant or "Q4_K_M").lower()
    try:
        import huggingface_hub

        files = huggingface_hub.list_repo_files(repo)
    except ImportError as e:
        raise ModelNotFoundError("downloading needs huggingface_hub — `pip install huggingface_hub`") from e
    except Exception as e:  # the hub client raises many network error types; all mean "cannot reach it"
        raise ModelNotFoundError(
            f"could not list {repo} on the Hugging Face Hub ({type(e).__name__}: {str(e).splitlines()[0]}) — "
            "check the name and your network, or download the GGUF yourself and pass --model PATH.gguf"
        ) from e
    ggufs = sorted(f for f in files if f.lower().endswith(".gguf") and quant in f.lower())
    if not ggufs:
        raise ModelNotFoundError(f"{repo} has no GGUF file for quantization {quant.upper()}")
    target = models_dir() / repo.replace("/", "__")
    parts = [f for f in ggufs if "-of-" in f] or ggufs[:1]  # split GGUFs: fetch every part, load the first
    try:
        paths = [Path(huggingface_hub.hf_hub_download(repo, f, local_dir=target)) for f in parts]
    except Exception as e:
        raise ModelNotFoundError(f"download of {repo}/{parts[0]} failed: {e}") from e
    return paths[0]
