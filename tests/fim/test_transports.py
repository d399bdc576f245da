"""The FIM transports against faithful local fakes of llama-server /infill and Ollama /api/generate,
through the real backends and the engine."""

from __future__ import annotations

import threading

import httpx
import pytest

from smallcoder.backends.infill_http import llama_server_infill
from smallcoder.backends.ollama import OllamaBackend
from smallcoder.backends.openai_compat import OpenAICompatBackend
from smallcoder.errors import BackendError
from smallcoder.fim.context import EditorState
from smallcoder.fim.engine import FimEngine, FimOptions
from smallcoder.fim.formats import InfillRequest, RepoFile
from tests.backends.ollama_fake import FakeModel
from tests.fim.infill_fakes import InfillServerFake, OllamaGenerateFake

TEXT = "def add(a, b):\n    \n\nprint(add(1, 2))\n"


def test_llama_server_infill_sends_parts_and_reads_cache_timings():
    with InfillServerFake() as fake:
        backend = OpenAICompatBackend(fake.url + "/v1")
        assert backend.capabilities.fim
        engine = FimEngine(backend, options=FimOptions(strategy="none"))
        fake.middles = ["return a + b\n\nprint(add(1, 2))\n"]
        first = engine.complete(EditorState("m.py", TEXT, 1, 4))
        assert first.text == "return a + b"  # the suffix's next line is not repeated
        body = fake.bodies[-1]
        assert body["input_prefix"].endswith("def add(a, b):\n    ") and body["input_suffix"].startswith("\n\nprint")
        assert body["cache_prompt"] is True and body["stream"] is True
        # typing into the suggestion costs no request
        typed = engine.complete(EditorState("m.py", TEXT.replace("    \n", "    re\n", 1), 1, 6))
        assert typed.from_cache and typed.text == "turn a + b" and len(fake.bodies) == 1
        # typing something else does; the server's slot serves the common prefix
        fake.middles = ["= a + b"]
        second = engine.complete(EditorState("m.py", TEXT.replace("    \n", "    s \n", 1), 1, 6))
        assert second.text == "= a + b" and len(fake.bodies) == 2
        # the code typed on the cursor's line goes after the middle token (``prompt``)
        assert fake.bodies[-1]["input_prefix"].endswith("def add(a, b):\n") and fake.bodies[-1]["prompt"] == "    s "
        assert second.cached_tokens > 0.9 * len(fake.prompts[0].split("<|fim_suffix|>")[0])
        assert second.prompt_tokens == len(fake.prompts[-1])
        backend.close()


def test_llama_server_infill_carries_other_files_as_input_extra():
    with InfillServerFake() as fake:
        backend = OpenAICompatBackend(fake.url + "/v1")
        engine = FimEngine(backend)
        engine.complete(EditorState("m.py", TEXT, 1, 4), files=[RepoFile("util.py", "def helper():\n    pass")])
        assert fake.bodies[-1]["input_extra"] == [{"filename": "util.py", "text": "def helper():\n    pass"}]
        backend.close()


def test_cancel_stops_the_stream_and_shows_nothing():
    with InfillServerFake(delay_s=0.05) as fake:
        backend = OpenAICompatBackend(fake.url + "/v1")
        engine = FimEngine(backend, options=FimOptions(strategy="none"))
        fake.middles = ["x" * 300]
        cancel = threading.Event()
        threading.Timer(0.3, cancel.set).start()
        result = engine.complete(EditorState("m.py", TEXT, 1, 4), cancel=cancel)
        assert result.cancelled and result.text == ""
        assert result.latency_ms < 2000  # did not wait for the 100 pieces (5 s)
        assert 0 < fake.pieces_sent[-1] < 100
        backend.close()


def test_missing_endpoint_is_one_line():
    with InfillServerFake() as fake, httpx.Client() as http:
        with pytest.raises(BackendError, match="offers no llama-server /infill endpoint"):
            llama_server_infill(http, fake.url + "/nope", InfillRequest("p", "a", "b"))


def test_ollama_raw_prompt_with_our_fim_string():
    with OllamaGenerateFake(models=[FakeModel("qwen2.5-coder:1.5b")]) as fake:
        backend = OllamaBackend("qwen2.5-coder:1.5b", host=fake.url)
        assert backend.capabilities.fim
        engine = FimEngine(backend, options=FimOptions(strategy="none"))
        fake.middles = ["return a + b<|endoftext|>"]
        got = engine.complete(EditorState("m.py", TEXT, 1, 4))
        assert got.text == "return a + b"
        body = fake.generate_bodies[-1]
        assert body["raw"] is True and body["prompt"].startswith("<|repo_name|>")
        assert "<|fim_middle|>" in body["prompt"] and body["options"]["num_predict"] == 64
        assert body["options"]["num_ctx"] == backend.num_ctx  # the same window as chat: no reload
        backend.close()


def test_ollama_model_without_fim_says_so():
    model = FakeModel("llama3:8b", capabilities=["completion", "tools"])
    with OllamaGenerateFake(models=[model]) as fake:
        backend = OllamaBackend("llama3:8b", host=fake.url)
        with pytest.raises(BackendError, match="cannot fill in the middle"):
            FimEngine(backend)
        backend.close()
