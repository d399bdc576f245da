"""A local HTTP fake of OpenAI-compatible servers, in the flavours whose documented quirks matter
(reference/model-formats.md §5.2–5.4): llama-server (/props, /slots, /tokenize, `timings`,
prompt_tokens_details), vLLM (max_model_len, /tokenize), LM Studio (/api/v1/models) and a bare
server that reports nothing. Chat answers stream as SSE; tool calls arrive in fragments."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # [{"name":…, "arguments":{…}}]
    prompt_tokens: int = 100
    cached_tokens: int = 0


class OpenAIFake:
    def __init__(self, flavor: str = "llama-server", model: str = "qwen2.5-coder-7b", n_ctx: int = 8192,
                 reject_tools: bool = False) -> None:
        self.flavor, self.model, self.n_ctx, self.reject_tools = flavor, model, n_ctx, reject_tools
        self.answers: list[Answer] = []
        self.requests: list[dict[str, Any]] = []
        self.fail_next: list[tuple[int, dict[str, Any]]] = []
        self.auth: list[str | None] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OpenAIFake:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def models(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": self.model, "object": "model", "owned_by": "organization"}
        if self.flavor == "vllm":
            entry["max_model_len"] = self.n_ctx
        if self.flavor == "llama-server":
            entry["meta"] = {"n_ctx_train": 32768, "n_vocab": 151936}
        return {"object": "list", "data": [entry]}

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

            def do_GET(self) -> None:
                fake.auth.append(self.headers.get("Authorization"))
                llama = fake.flavor == "llama-server"
                if self.path == "/v1/models":
                    return self._send(200, fake.models())
                if self.path == "/props" and llama:
                    return self._send(200, {"default_generation_settings": {"n_ctx": fake.n_ctx * 2},
                                            "total_slots": 2, "model_path": "/models/x.gguf",
                                            "chat_template": "{% if tools %}<tools>{% endif %}<tool_call>"})
                if self.path == "/slots" and llama:
                    return self._send(200, [{"id": 0, "n_ctx": fake.n_ctx}, {"id": 1, "n_ctx": fake.n_ctx}])
                if self.path == "/api/v1/models" and fake.flavor == "lmstudio":
                    return self._send(200, {"models": [{
                        "key": fake.model, "type": "llm", "max_context_length": 32768,
                        "loaded_instances": [{"id": fake.model, "config": {"context_length": fake.n_ctx}}],
                        "capabilities": {"trained_for_tool_use": True}}]})
                self._send(404, {"detail": "Not Found"})

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n) or b"{}")
                if self.path == "/tokenize" and fake.flavor == "llama-server":
                    return self._send(200, {"tokens": list(range(max(1, len(body["content"]) // 4)))})
                if self.path == "/tokenize" and fake.flavor == "vllm":
                    return self._send(200, {"count": max(1, len(body["prompt"]) // 4), "max_model_len": fake.n_ctx})
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"detail": "Not Found"})
                fake.requests.append(body)
                if fake.fail_next:
                    return self._send(*fake.fail_next.pop(0))
                if body.get("tools") and fake.reject_tools:
                    return self._send(500, {"error": {"code": 500, "type": "server_error",
                                                      "message": "tools param requires --jinja flag"}})
                self._stream(body, fake.answers.pop(0) if fake.answers else Answer("ok"))

            def _stream(self, body: dict[str, Any], a: Answer) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": fake.model}

                def send(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> None:
                    chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()

                words = [w + " " for w in a.text.split(" ")] if a.text else []
                if words:
                    words[-1] = words[-1][:-1]
                for w in words:
                    send({"role": "assistant", "content": w})
                for i, call in enumerate(a.tool_calls):
                    args = json.dumps(call["arguments"])
                    send({"tool_calls": [{"index": i, "id": f"call_{i}x", "type": "function",
                                          "function": {"name": call["name"], "arguments": args[:5]}}]})
                    send({"tool_calls": [{"index": i, "function": {"arguments": args[5:]}}]})
                completion = len(words) + 3 * len(a.tool_calls)
                extra: dict[str, Any] = {}
                if fake.flavor == "llama-server":
                    extra["timings"] = {"cache_n": a.cached_tokens, "prompt_n": a.prompt_tokens - a.cached_tokens,
                                        "prompt_ms": 50.0, "predicted_n": completion, "predicted_ms": 100.0,
                                        "predicted_per_second": completion * 10.0}
                send({}, "tool_calls" if a.tool_calls else "stop", **extra)
                if (body.get("stream_options") or {}).get("include_usage"):
                    usage: dict[str, Any] = {"prompt_tokens": a.prompt_tokens, "completion_tokens": completion,
                                             "total_tokens": a.prompt_tokens + completion}
                    if fake.flavor in ("llama-server", "vllm"):
                        usage["prompt_tokens_details"] = {"cached_tokens": a.cached_tokens}
                    chunk = {**base, "choices": [], "usage": usage}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
