"""A local fake of the Docker Engine API on a unix socket, for the container fallback's helper process.

It answers the calls the official `docker` client makes for `containers.run(detach=True)`,
`logs(stream=True, follow=True)`, `wait` and `remove`, records every request, and
"runs" nothing: a container's output and exit code are canned. What it checks is
our side — the arguments we send and how the helper relays output and exit code.
"""

from __future__ import annotations

import json
import socketserver
import struct
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

API = "1.45"
CONTAINER_ID = "c0ffee0123456789"


class FakeEngine:
    def __init__(self, socket_path: Path, output: bytes = b"hello from the container\n", exit_code: int = 3):
        self.socket_path = socket_path
        self.output, self.exit_code = output, exit_code
        self.requests: list[tuple[str, str, Any]] = []  # (method, path, JSON body or None)
        engine = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                return json.loads(raw) if raw else None

            def _send(self, status: int, payload: Any = None, raw: bytes | None = None, close: bool = False) -> None:
                data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else b"")
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if raw is None else "application/vnd.docker.raw-stream")
                self.send_header("Content-Length", str(len(data)))
                if close:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method: str) -> None:
                path = urlparse(self.path).path.removeprefix(f"/v{API}")
                engine.requests.append((method, path, self._body() if method == "POST" else None))
                cid = f"/containers/{CONTAINER_ID}"
                if path == "/version":
                    self._send(200, {"ApiVersion": API, "Version": "fake"})
                elif path == "/_ping":
                    self._send(200, raw=b"OK")
                elif path == "/containers/create":
                    self._send(201, {"Id": CONTAINER_ID, "Warnings": []})
                elif path == f"{cid}/json":
                    self._send(200, {"Id": CONTAINER_ID, "Config": {"Tty": False},
                                     "HostConfig": {"LogConfig": {"Type": "json-file"}}, "State": {"Running": True}})
                elif path == f"{cid}/start":
                    self._send(204)
                elif path == f"{cid}/logs":
                    # Non-TTY logs are multiplexed: an 8-byte header (stream 1 = stdout, length) per frame.
                    frames = b"".join(struct.pack(">BxxxL", 1, len(line)) + line
                                      for line in engine.output.splitlines(keepends=True))
                    self._send(200, raw=frames, close=True)
                elif path == f"{cid}/wait":
                    self._send(200, {"StatusCode": engine.exit_code})
                elif path == cid and method == "DELETE":
                    self._send(204)
                elif path == "/containers/json":
                    self._send(200, [])
                else:
                    self._send(404, {"message": f"fake engine: no route {method} {path}"})

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_DELETE(self) -> None:
                self._route("DELETE")

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

            def get_request(self):  # type: ignore[no-untyped-def]
                conn, _ = super().get_request()
                return conn, ("fake", 0)  # BaseHTTPRequestHandler wants a (host, port) address

        self.server = Server(str(socket_path), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def __enter__(self) -> FakeEngine:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls(self, method: str, suffix: str) -> list[Any]:
        return [body for m, p, body in self.requests if m == method and p.endswith(suffix)]
