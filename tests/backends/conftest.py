"""A real OpenAI-compatible server for the backend tests: llama-cpp-python's own
(`python -m llama_cpp.server`) with the 0.5B test model, on a free loopback port.
Started once per test module that asks for it, and stopped after it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

MODELS = Path(os.environ.get("SMALLCODER_TEST_MODELS", Path.home() / ".cache" / "smallcoder-test-models"))
SMALL = MODELS / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
N_CTX = 4096
READY_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory) -> str:
    """The base URL (…/v1) of a running llama_cpp.server; skipped when it cannot run here."""
    try:
        import llama_cpp.server  # noqa: F401  (needs the [server] extra: fastapi, uvicorn, sse-starlette)
    except ImportError as e:
        pytest.skip(f"llama-cpp-python's server is not installed ({e}); pip install 'llama-cpp-python[server]'")
    if not SMALL.is_file():
        pytest.skip(f"{SMALL} missing: run ../shared/scripts/fetch-test-models.sh 0.5b")
    port = free_port()
    log = (tmp_path_factory.mktemp("llama_server") / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(SMALL), "--n_ctx", str(N_CTX),
         "--port", str(port), "--host", "127.0.0.1"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + READY_TIMEOUT_S
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready after {READY_TIMEOUT_S}s; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
