"""Local fakes of the FIM endpoints of runtimes that cannot run here, reproducing their documented
behaviour (../shared/reference/model-formats.md §4.3, §4.4):

- llama-server ``POST /infill``: builds ``<|repo_name|>…<|file_sep|>{filename}\\n{text}\\n…<|file_sep|>…
  <|fim_prefix|>…<|fim_suffix|>…<|fim_middle|>`` itself from ``input_extra``/``input_prefix``/
  ``input_suffix``; with ``cache_prompt`` the slot reuses the common prefix with its previous prompt
  (``timings.cache_n``; one character = one token here); streams ``data: {"content", "stop"}`` chunks.
- Ollama ``POST /api/generate``: ``raw`` prompts as given, else prompt + ``suffix`` through the template;
  NDJSON ``{"response", "done"}`` lines, ``prompt_eval_count`` at the end.
Both stream one piece every ``delay_s`` seconds and count the pieces written before the client hung up.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.backends.ollama_fake import OllamaFake
from tests.backends.openai_fake import OpenAIFake


class InfillServerFake(OpenAIFake):
    """llama-server with /infill. ``answers``: middles to stream, in order (default "pass")."""

    def __init__(self, *, delay_s: float = 0.0) -> None:
        self.middles: list[str] = []
        self.respond: Any = None  # optional body → middle, used instead of ``middles``
        self.prompts: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.pieces_sent: list[int] = []
        self.delay_s = delay_s
        self._slot = ""
        super().__init__(flavor="llama-server", model="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")

    def build_prompt(self, body: dict[str, Any]) -> str:
        parts = ["<|repo_name|>myproject\n"]
        for chunk in body.get("input_extra") or []:
            parts.append(f"<|file_sep|>{chunk['filename']}\n{chunk['text']}\n")
        parts.append("<|file_sep|>filename\n")
        parts.append(f"<|fim_prefix|>{body.get('input_prefix', '')}<|fim_suffix|>{body.get('input_suffix', '')}"
                     f"<|fim_middle|>{body.get('prompt', '')}")
        return "".join(parts)

    def _handler(self) -> Any:
        base = super()._handler()
        fake = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                if self.path != "/infill":
                    return super().do_POST()
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n) or b"{}")
                if "input_prefix" not in body and "input_suffix" not in body:
                    return self._send(400, {"error": {"code": 400, "message": "\"input_prefix\" is required",
                                                      "type": "invalid_request_error"}})
                prompt = fake.build_prompt(body)
                cached = 0
                if body.get("cache_prompt", True):
                    for a, b in zip(fake._slot, prompt):
                        if a != b:
                            break
                        cached += 1
                fake._slot = prompt
                fake.prompts.append(prompt)
                fake.bodies.append(body)
                if fake.respond is not None:
                    middle = fake.respond(body)
                else:
                    middle = fake.middles.pop(0) if fake.middles else "pass"
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                sent = 0
                fake.pieces_sent.append(0)
                try:
                    for piece in [middle[i:i + 3] for i in range(0, len(middle), 3)]:
                        time.sleep(fake.delay_s)
                        self.wfile.write(f"data: {json.dumps({'content': piece, 'stop': False})}\n\n".encode())
                        self.wfile.flush()
                        sent += 1
                        fake.pieces_sent[-1] = sent
                    timings = {"prompt_n": len(prompt) - cached, "cache_n": cached, "predicted_n": sent,
                               "prompt_ms": 1.0, "predicted_ms": 1.0}
                    final = {"content": "", "stop": True, "timings": timings}
                    self.wfile.write(f"data: {json.dumps(final)}\n\n".encode())
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: llama-server stops generating

        return Handler


class OllamaGenerateFake(OllamaFake):
    """Ollama with /api/generate. ``middles``: responses to stream, in order."""

    def __init__(self, **kw: Any) -> None:
        self.middles: list[str] = []
        self.generate_bodies: list[dict[str, Any]] = []
        super().__init__(**kw)

    def _handler(self) -> Any:
        base = super()._handler()
        fake = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                if self.path != "/api/generate":
                    return super().do_POST()
                body = self._body()
                fake.generate_bodies.append(body)
                model = fake.models.get(body.get("model", ""))
                if model is None:
                    return self._send(404, {"error": f"model '{body.get('model')}' not found"})
                if body.get("suffix") and "insert" not in model.capabilities:
                    return self._send(400, {"error": f"registry.ollama.ai/library/{model.name} does not support insert"})
                middle = fake.middles.pop(0) if fake.middles else "pass"
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                for piece in [middle[i:i + 3] for i in range(0, len(middle), 3)]:
                    self._line({"model": model.name, "response": piece, "done": False})
                prompt = str(body.get("prompt", "")) + str(body.get("suffix", ""))
                self._line({"model": model.name, "response": "", "done": True, "done_reason": "stop",
                            "prompt_eval_count": max(1, len(prompt) // 4), "eval_count": max(1, len(middle) // 3)})

        return Handler
