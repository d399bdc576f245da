"""The FIM engine on the real 0.5B model: in process (KV cache reused keystroke after keystroke), through
`python -m llama_cpp.server` (/v1/completions), and the `smallcoder complete` command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smallcoder.fim.context import EditorState
from smallcoder.fim.engine import FimEngine

MODEL = Path.home() / ".cache/smallcoder-test-models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
pytestmark = [pytest.mark.model, pytest.mark.skipif(not MODEL.is_file(), reason="test model not fetched")]

HELPERS = "def mean(values):\n    return sum(values) / len(values)\n\n\ndef spread(values):\n    return max(values) - min(values)\n"
EDITED = "from stats_helpers import mean, spread\n\n\ndef describe(values):\n    m = \n    return {\"mean\": m}\n"


@pytest.fixture(scope="module")
def embedded():
    from smallcoder.backends.embedded import EmbeddedBackend

    # one thread: on an oversubscribed machine llama.cpp's spinning threads lose badly
    backend = EmbeddedBackend(MODEL, n_ctx=2048, n_threads=1, temperature=0.0)
    yield backend
    backend.close()


def repo(tmp_path: Path) -> Path:
    (tmp_path / "stats_helpers.py").write_text(HELPERS)
    (tmp_path / "report.py").write_text(EDITED)
    return tmp_path


def test_embedded_suggestion_uses_imported_definitions_and_reuses_the_kv_cache(embedded, tmp_path):
    root = repo(tmp_path)
    assert embedded.capabilities.fim
    engine = FimEngine(embedded, repo_name="demo")
    first = engine.complete(EditorState("report.py", EDITED, 4, 8, root=root), use_cache=False)
    assert first.text.strip() and "<|" not in first.text and "return" not in first.text
    assert first.context_files == ["stats_helpers.py"]
    # the next keystroke: only the tokens from the cursor on are evaluated again
    typed = EDITED.replace("    m = \n", "    m = m\n")
    second = engine.complete(EditorState("report.py", typed, 4, 9, root=root), use_cache=False)
    assert second.cached_tokens >= 0.8 * second.prompt_tokens, second
    assert second.evaluated_tokens < first.prompt_tokens / 2


def test_llama_cpp_server_completions_path(tmp_path):
    from smallcoder.backends.openai_compat import OpenAICompatBackend

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(MODEL), "--n_ctx", "2048",
                             "--host", "127.0.0.1", "--port", str(port), "--n_threads", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline and proc.poll() is None, "llama_cpp.server did not start"
                time.sleep(0.5)
        backend = OpenAICompatBackend(f"http://127.0.0.1:{port}/v1")
        assert backend.facts.flavor == "llama-cpp-python" and backend.capabilities.fim
        engine = FimEngine(backend, repo_name="demo")
        got = engine.complete(EditorState("report.py", EDITED, 4, 8, root=repo(tmp_path)))
        assert got.text.strip() and "<|" not in got.text and got.prompt_tokens > 0
        backend.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_complete_command_json(tmp_path):
    root = repo(tmp_path)
    (tmp_path / "config.toml").write_text("threads = 1\n")
    env = {**os.environ, "SMALLCODER_HOME": str(tmp_path / "home"), "SMALLCODER_CONFIG": str(tmp_path / "config.toml")}
    out = subprocess.run([sys.executable, "-c", "from smallcoder.cli.complete import complete; import typer; "
                          "typer.run(complete)", f"{root / 'report.py'}:5:9", "--model", str(MODEL), "--json"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["text"].strip() and result["latency_ms"] > 0 and result["prompt_tokens"] > 0
    assert result["context_files"] == ["stats_helpers.py"] and result["model"].endswith(".gguf")
