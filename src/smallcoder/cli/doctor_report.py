"""What `smallcoder doctor` finds: the machine, the embedded engine, and every reachable runtime
with its models, context windows, tool and FIM support. Plain data; cli/doctor.py renders it."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx

from smallcoder.backends.discovery import DEFAULT_URLS, Runtime, discover, ollama_url
from smallcoder.backends.endpoints import api_key, openai_base
from smallcoder.config import UserConfig
from smallcoder.errors import SmallcoderError
from smallcoder.models.long_context import yarn_capability
from smallcoder.paths import Home
from smallcoder.sandbox import describe_isolation
from smallcoder.workspace.find_env import environment_report

MAX_MODELS = 25  # /api/show per model: enough to be useful, bounded on big libraries
_FIM_FAMILIES = re.compile(r"coder|codestral|starcoder|codellama|codegemma|granite-code|deepseek-coder", re.I)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": f"{platform.system()} {platform.machine()}", "cpus": os.cpu_count()}
    try:
        import psutil

        mem = psutil.virtual_memory()
        info["ram_total_gib"] = round(mem.total / 2**30, 1)
        info["ram_available_gib"] = round(mem.available / 2**30, 1)
    except ImportError:
        info["ram_total_gib"] = None
    info["gpus"] = _nvidia_gpus()
    return info


def _nvidia_gpus() -> list[dict[str, Any]]:
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3 and parts[1].isdigit():
            gpus.append({"name": parts[0], "vram_total_gib": round(int(parts[1]) / 1024, 1),
                         "vram_free_gib": round(int(parts[2]) / 1024, 1) if parts[2].isdigit() else None})
    return gpus


def embedded(models: Path) -> dict[str, Any]:
    try:
        import llama_cpp

        version = getattr(llama_cpp, "__version__", "installed")
    except ImportError:
        version = None
    cached = sorted(p.name for p in models.rglob("*.gguf"))
    return {"llama_cpp_python": version, "models_dir": str(models), "cached_models": cached,
            "long_context": {name: yarn_capability(name) for name in cached if yarn_capability(name)}}  # YaRN reach


def guess_fim(name: str) -> bool | None:
    return True if _FIM_FAMILIES.search(name) else None


def ollama_runtime(rt: Runtime) -> dict[str, Any]:
    import ollama

    from smallcoder.backends.ollama_facts import OllamaModelFacts, choose_num_ctx, loaded_context

    client = ollama.Client(host=rt.url, timeout=httpx.Timeout(10.0, connect=2.0))
    try:
        ps = client.ps()
    except Exception:
        ps = None
    models = []
    for name in rt.models[:MAX_MODELS]:
        entry: dict[str, Any] = {"name": name}
        try:
            facts = OllamaModelFacts.from_show(name, client.show(name))
            facts.loaded_context = loaded_context(ps, name) if ps is not None else None
            num_ctx, why = choose_num_ctx(facts)
            entry.update(trained_context=facts.trained_context, loaded_context=facts.loaded_context,
                         context_window=num_ctx, context_source=f"num_ctx smallcoder would use: {why}",
                         tools=facts.tools, fim=facts.fim, capabilities=facts.capabilities)
        except Exception as e:  # one broken model should not hide the others
            entry["error"] = f"{type(e).__name__}: {e}"
        models.append(entry)
    client.close()  # type: ignore[no-untyped-call]
    return {"runtime": "ollama", "url": rt.url, "version": rt.version, "models": models,
            "more_models": max(0, len(rt.models) - MAX_MODELS)}


def openai_runtime(rt: Runtime) -> dict[str, Any]:
    from smallcoder.backends.openai_probe import probe_server

    base = openai_base(rt.url)
    try:
        key = api_key(base)
    except SmallcoderError:  # a remote server without a key: /models may still answer
        key = ""
    with httpx.Client(timeout=httpx.Timeout(30.0, connect=2.0), headers={"Authorization": f"Bearer {key}"}) as http:
        listed = http.get(f"{base}/models").json().get("data", [])
        facts = probe_server(http, base, rt.models[0] if rt.models else None, listed)
    models = [{"name": name, "context_window": facts.context, "context_source": facts.context_source or
               "not reported — pass --ctx", "trained_context": facts.trained_context, "tools": facts.tools,
               "fim": guess_fim(name)} for name in rt.models[:MAX_MODELS]]
    return {"runtime": facts.flavor, "url": base, "models": models,
            "more_models": max(0, len(rt.models) - MAX_MODELS)}


def gather(config: UserConfig, home: Home, base_url: str | None = None) -> dict[str, Any]:
    """The whole report: machine, embedded engine, isolation (from the user's `[sandbox]`), runtimes."""
    urls = [base_url] if base_url else list(dict.fromkeys([ollama_url(), *DEFAULT_URLS]))
    runtimes = []
    for rt in discover(urls):
        try:
            runtimes.append(ollama_runtime(rt) if rt.kind == "ollama" else openai_runtime(rt))
        except Exception as e:
            runtimes.append({"runtime": rt.kind, "url": rt.url, "error": f"{type(e).__name__}: {e}", "models": []})
    return {"machine": machine(), "embedded": embedded(home.models),
            "isolation": describe_isolation(config.sandbox), "runtimes": runtimes,
            "probed": urls, "environment": environment_report(Path.cwd())}
