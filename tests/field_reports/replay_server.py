"""A replay server: a real OpenAI-compatible HTTP server process that serves recorded native tool-call
replies, streamed the way a given server sends them.

    python replay_server.py REPLIES.json FLAVOR      (prints the port it listens on, then serves)

REPLIES.json holds a list of replies, each {"text": str, "calls": [[name, {arguments}], ...]}, served one
per chat request in order (then a plain "done"). The first reply's shape: `tool_calls` with empty text,
`finish_reason` "tool_calls", as llama-server --jinja, vLLM with a tool parser and LM Studio answer.
FLAVOR is how the streamed tool-call deltas are cut, each a documented or reported server behaviour:
  llama-server      index, id, type and name in the first delta, then argument pieces (content null)
  empty-content     as llama-server, with "content": "" in every delta (the field report's server)
  no-index          no `index` in any fragment (the field report's stream-missing-index)
  name-every-delta  name, id and type re-sent in every fragment
  late-id           the id only in the last fragment
  resend-args       after the pieces, the whole arguments text once more (a vLLM-era bug)
  split-anywhere    arguments cut every 3 characters, in escapes and between surrogate halves
A non-streamed request gets the whole message. GET /v1/models lists one model, "local". Stdlib only.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPLIES: list[dict[str, Any]] = json.loads(open(sys.argv[1], encoding="utf-8").read())
FLAVOR = sys.argv[2]
served = {"n": 0}


def utf16_pieces(text: str, size: int) -> list[str]:
    """`text` cut every `size` UTF-16 code units: an astral character may be cut into its two halves."""
    units = text.encode("utf-16-le", "surrogatepass")
    step = size * 2
    return [units[i:i + step].decode("utf-16-le", "surrogatepass") for i in range(0, len(units), step)]


def fragments(k: int, call_id: str, name: str, arguments: str) -> list[dict[str, Any]]:
    pieces = utf16_pieces(arguments, 3) if FLAVOR == "split-anywhere" else [
        arguments[i:i + 12] for i in range(0, len(arguments), 12)]
    head: dict[str, Any] = {"index": k, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
    out = [head] + [{"index": k, "function": {"arguments": p}} for p in pieces]
    if FLAVOR == "no-index":
        for frag in out:
            frag.pop("index")
    elif FLAVOR == "name-every-delta":
        out = [head] + [{"index": k, "id": call_id, "type": "function", "function": {"name": name, "arguments": p}}
                        for p in pieces]
    elif FLAVOR == "late-id":
        head.pop("id")
        out[-1]["id"] = call_id
    elif FLAVOR == "resend-args":
        out.append({"index": k, "function": {"arguments": arguments}})
    return out


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "local", "object": "model", "owned_by": "replay"}]})
        else:
            self._json(404, {"error": {"message": "not found", "type": "not_found_error"}})

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        i = served["n"]
        served["n"] += 1
        reply = REPLIES[i] if i < len(REPLIES) else {"text": "done", "calls": []}
        calls = [(f"call_{i}_{k}", name, json.dumps(args, ensure_ascii=FLAVOR != "split-anywhere"))
                 for k, (name, args) in enumerate(reply["calls"])]
        finish = "tool_calls" if calls else "stop"
        usage = {"prompt_tokens": 100 + 50 * i, "completion_tokens": 20, "total_tokens": 120 + 50 * i}
        base = {"id": f"chatcmpl-{i}", "created": 0, "model": "local"}
        if not request.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": reply["text"] or None}
            if calls:
                message["tool_calls"] = [{"id": c, "type": "function", "function": {"name": n, "arguments": a}}
                                         for c, n, a in calls]
            return self._json(200, {**base, "object": "chat.completion", "usage": usage,
                                    "choices": [{"index": 0, "message": message, "finish_reason": finish}]})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        content: str | None = "" if FLAVOR == "empty-content" else None
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": reply["text"] or content}]
        for k, (call_id, name, arguments) in enumerate(calls):
            deltas += [{"content": content, "tool_calls": [f]} if content is not None else {"tool_calls": [f]}
                       for f in fragments(k, call_id, name, arguments)]
        for delta in deltas:
            self._event({**base, "object": "chat.completion.chunk",
                         "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        self._event({**base, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": {}, "finish_reason": finish}], "usage": usage})
        self.wfile.write(b"data: [DONE]\n\n")

    def _event(self, chunk: dict[str, Any]) -> None:
        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.flush()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
