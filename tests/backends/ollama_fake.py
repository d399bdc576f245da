"""A local HTTP fake of Ollama's native API, reproducing its documented behaviour
(reference/model-formats.md §5.1): /api/chat streaming NDJSON and non-streaming,
/api/show, /api/ps, /api/tags, /api/version, the error bodies, the default
context window, silent truncation of the oldest messages, and model reloads when
num_ctx changes. It records every request so tests can check what was sent.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_NUM_CTX = 4096  # Ollama v0.6.7 – v0.15.4


def fake_tokens(text: str) -> int:
    return max(1, len(text) // 4)


@dataclass
class FakeModel:
    name: str
    trained_context: int = 32_768
    capabilities: list[str] = field(default_factory=lambda: ["completion", "tools", "insert"])
    template: str = "{{ if .Tools }}<tools>{{ .Tools }}</tools>{{ end }}<tool_call>"
    parameters: str = "stop \"<|im_end|>\""
    blob: str = "/nonexistent/blobs/sha256-abc"
    max_loadable_ctx: int | None = None  # memory cap: Ollama loads less than asked


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # [{"name":…, "arguments":{…}}]


class OllamaFake:
    def __init__(self, models: list[FakeModel] | None = None) -> None:
        self.models = {m.name: m for m in (models or [FakeModel("qwen2.5-coder:7b")])}
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []  # the JSON body of every /api/chat
        self.paths: list[str] = []
        self.loaded: dict[str, int] = {}  # model → context it is loaded with
        self.reloads = 0
        self.fail_next: list[tuple[int, dict[str, Any]]] = []  # (status, body) answered before anything else
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OllamaFake:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- behaviour ----------------------------------------------------------------

    def chat(self, body: dict[str, Any]) -> tuple[int, Any]:
        self.requests.append(body)
        model = self.models.get(body.get("model", ""))
        if model is None:
            return 404, {"error": f"model '{body.get('model')}' not found"}
        if body.get("tools") and "tools" not in model.capabilities:
            return 400, {"error": f"registry.ollama.ai/library/{model.name} does not support tools"}
        asked = (body.get("options") or {}).get("num_ctx") or DEFAULT_NUM_CTX
        ctx = min(asked, model.max_loadable_ctx or asked)
        if self.loaded.get(model.name) not in (None, ctx):
            self.reloads += 1
        self.loaded[model.name] = ctx
        messages = list(body.get("messages") or [])
        # chatPrompt: drop the oldest non-system messages until the prompt fits; keep the last one.
        while sum(fake_tokens(m.get("content", "")) + 4 for m in messages) > ctx and len(messages) > 2:
            drop = next(i for i, m in enumerate(messages[:-1]) if m.get("role") != "system")
            messages.pop(drop)
        prompt = sum(fake_tokens(m.get("content", "")) + 4 for m in messages)
        reply = self.replies.pop(0) if self.replies else Reply("ok")
        return 200, (model, reply, prompt)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> dict[str, Any]:
                n = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(n) or b"{}")

            def do_GET(self) -> None:
                fake.paths.append(self.path)
                if self.path == "/api/version":
                    return self._send(200, {"version": "0.12.3"})
                if self.path == "/api/tags":
                    return self._send(200, {"models": [
                        {"name": m.name, "model": m.name, "size": 4_700_000_000,
                         "details": {"family": "qwen2", "parameter_size": "7.6B", "quantization_level": "Q4_K_M"}}
                        for m in fake.models.values()]})
                if self.path == "/api/ps":
                    return self._send(200, {"models": [
                        {"name": n, "model": n, "size": 5_000_000_000, "size_vram": 0, "context_length": c,
                         "expires_at": "2030-01-01T00:00:00Z"} for n, c in fake.loaded.items()]})
                self._send(404, {"error": "not found"})

            def do_POST(self) -> None:
                fake.paths.append(self.path)
                body = self._body()
                if fake.fail_next:
                    return self._send(*fake.fail_next.pop(0))
                if self.path == "/api/show":
                    return self._show(body)
                if self.path == "/api/chat":
                    status, result = fake.chat(body)
                    if status != 200:
                        return self._send(status, result)
                    return self._chat(body, *result)
                self._send(404, {"error": "not found"})

            def _show(self, body: dict[str, Any]) -> None:
                m = fake.models.get(body.get("model", ""))
                if m is None:
                    return self._send(404, {"error": f"model '{body.get('model')}' not found"})
                self._send(200, {
                    "modelfile": f"# Modelfile\nFROM {m.blob}\nTEMPLATE {m.template}\n",
                    "parameters": m.parameters, "template": m.template,
                    "details": {"format": "gguf", "family": "qwen2", "parameter_size": "7.6B",
                                "quantization_level": "Q4_K_M"},
                    "model_info": {"general.architecture": "qwen2", "general.name": m.name,
                                   "qwen2.context_length": m.trained_context, "qwen2.block_count": 28,
                                   "qwen2.attention.head_count": 28, "qwen2.attention.head_count_kv": 4,
                                   "qwen2.embedding_length": 3584},
                    "capabilities": m.capabilities,
                })

            def _chat(self, body: dict[str, Any], model: FakeModel, reply: Reply, prompt: int) -> None:
                calls = [{"function": {"name": c["name"], "arguments": c["arguments"]}} for c in reply.tool_calls]
                words = [w + " " for w in reply.text.split(" ")] if reply.text else []
                if words:
                    words[-1] = words[-1][:-1]
                final = {"model": model.name, "created_at": "2025-01-01T00:00:00Z", "done": True,
                         "done_reason": "stop", "total_duration": 2_000_000_000, "load_duration": 1_000_000,
                         "prompt_eval_count": prompt, "prompt_eval_duration": 500_000_000,
                         "eval_count": len(words) + 5 * len(calls), "eval_duration": 1_000_000_000}
                if not body.get("stream", True):
                    msg: dict[str, Any] = {"role": "assistant", "content": reply.text}
                    if calls:
                        msg["tool_calls"] = calls
                    return self._send(200, {**final, "message": msg})
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                for w in words:
                    self._line({"model": model.name, "done": False, "message": {"role": "assistant", "content": w}})
                if calls:
                    self._line({"model": model.name, "done": False,
                                "message": {"role": "assistant", "content": "", "tool_calls": calls}})
                self._line({**final, "message": {"role": "assistant", "content": ""}})

            def _line(self, obj: dict[str, Any]) -> None:
                self.wfile.write(json.dumps(obj).encode() + b"\n")
                self.wfile.flush()

        return Handler
