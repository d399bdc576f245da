"""`smallcoder models fit|list|pull --ollama` as a user runs them (subprocesses, real catalog, local fakes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smallcoder.cli.models import models_app
from tests.models.gguf_files import write_gguf


def smallcoder(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "smallcoder.cli.app", *args], capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "SMALLCODER_HOME": str(home), "COLUMNS": "160",
                                                         **env})


def test_fit_devstral_and_qwen3_coder_at_32k_give_the_breakdown_with_sources(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMALLCODER_HOME", str(tmp_path))
    runner = CliRunner()
    for name, weights_gib in (("devstral-small-2-24b-instruct", 13.3), ("qwen3-coder:30b", 17.3)):
        run = runner.invoke(models_app, ["fit", name, "--ctx", "32768", "--json"])
        assert run.exit_code == 0, run.output
        report = json.loads(run.stdout)
        parts = report["breakdown_bytes"]
        assert abs(parts["weights"] / 2**30 - weights_gib) < 0.1
        assert parts["total"] == parts["weights"] + parts["kv_cache"] + parts["compute"] + parts["runtime"]
        assert report["sources"]["weights"] and report["sources"]["kv_heads"].startswith("https://")
        assert report["largest_context"] >= 0 and report["placement"]["mode"]
    human = runner.invoke(models_app, ["fit", "qwen3-coder:30b", "--ctx", "32768"])
    assert "KV cache" in human.stdout and "largest context that fits" in human.stdout


def test_fit_of_an_unknown_model_is_one_line_exit_2(tmp_path: Path) -> None:
    run = smallcoder("models", "fit", "gpt-17", home=tmp_path)
    assert run.returncode == 2 and run.stderr.count("\n") == 1


def test_list_shows_a_gguf_on_disk_with_the_context_that_fits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMALLCODER_HOME", str(tmp_path))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    models = tmp_path / "models"
    models.mkdir()
    write_gguf(models / "tiny.gguf", "qwen2", name="Tiny", layers=2, heads=2, kv_heads=1, head_dim=8, hidden=16,
               context=4096, vocab=100)
    run = CliRunner().invoke(models_app, ["list", "--json"])
    assert run.exit_code == 0, run.output
    (row,) = json.loads(run.stdout)
    assert row["where"] == "disk" and row["name"].endswith("tiny.gguf") and row["largest_context"] == 4096


class FakeOllama(BaseHTTPRequestHandler):
    """Ollama's API as documented: GET /api/tags lists models; POST /api/show returns `model_info`
    (the GGUF metadata); POST /api/pull streams NDJSON status lines, with digest/total/completed
    while layers download, ending in {"status": "success"}; an unknown model gets an error object."""

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, code: int, obj: object) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/api/tags":
            self._json(200, {"models": [{"name": "qwen2.5-coder:1.5b", "model": "qwen2.5-coder:1.5b",
                                         "modified_at": "2025-01-01T00:00:00Z", "size": 986061892,
                                         "digest": "29d8c98fa6b0", "details": {"format": "gguf"}}]})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/api/show":
            self._json(200, {"modelfile": "", "template": "", "model_info": {
                "general.architecture": "qwen2", "general.name": "Qwen2.5 Coder 1.5B Instruct",
                "qwen2.block_count": 28, "qwen2.attention.head_count": 12, "qwen2.attention.head_count_kv": 2,
                "qwen2.embedding_length": 1536, "qwen2.context_length": 32768, "qwen2.vocab_size": 151936}})
            return
        if body.get("model") != "qwen2.5-coder:1.5b":
            data = json.dumps({"error": "pull model manifest: file does not exist"}).encode()
            self.send_response(500)
        else:
            lines = [{"status": "pulling manifest"},
                     {"status": "pulling 29d8c98fa6b0", "digest": "sha256:29d8", "total": 986, "completed": 493},
                     {"status": "pulling 29d8c98fa6b0", "digest": "sha256:29d8", "total": 986, "completed": 986},
                     {"status": "verifying sha256 digest"}, {"status": "writing manifest"}, {"status": "success"}]
            data = "".join(json.dumps(line) + "\n" for line in lines).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_pull_with_ollama_streams_its_progress_and_prints_the_spec(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOllama)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        run = smallcoder("models", "pull", "qwen2.5-coder-1.5b-instruct", "--ollama", home=tmp_path, OLLAMA_HOST=host)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "ollama:qwen2.5-coder:1.5b"
        assert "50%" in run.stderr and "success" in run.stderr
        refused = smallcoder("models", "pull", "qwen2.5-coder-7b-instruct", "--ollama", home=tmp_path, OLLAMA_HOST=host)
        assert refused.returncode == 2 and "Ollama refused to pull qwen2.5-coder:7b" in refused.stderr
        listed = smallcoder("models", "list", "--json", home=tmp_path, OLLAMA_HOST=host)
        (row,) = json.loads(listed.stdout)
        assert row["name"] == "ollama:qwen2.5-coder:1.5b" and row["largest_context"] > 0, listed.stderr
    finally:
        server.shutdown()
        server.server_close()
    gone = smallcoder("models", "pull", "qwen2.5-coder-1.5b-instruct", "--ollama", home=tmp_path,
                      OLLAMA_HOST="http://127.0.0.1:9")
    assert gone.returncode == 2 and "Ollama is not answering" in gone.stderr and gone.stderr.count("\n") == 1
