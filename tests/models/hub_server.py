"""A local server with the Hugging Face Hub's file endpoints, for `models pull` tests.

It reproduces what the hub documents and the client relies on: `HEAD /{repo}/resolve/{rev}/{file}`
answers 302 to a storage URL with `X-Repo-Commit`, `X-Linked-Etag` (the LFS object id: the file's
SHA-256) and `X-Linked-Size`; unknown files get 404 with `X-Error-Code: EntryNotFound`; the
storage URL serves the bytes and honours `Range` (206 + `Content-Range`). Faults for tests:
`cut_after` closes the first GET after that many bytes, `fail_next` answers the next N GETs with
503 (`refuse_after_cut`: every GET after the cut), and `serve_bytes` sends other bytes than the announced file (corruption).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class HubFiles:
    files: dict[str, bytes]  # "owner/repo/filename" -> content
    commit: str = "0" * 40
    cut_after: int | None = None
    fail_next: int = 0
    refuse_after_cut: bool = False  # after the cut, answer 503 until `refusing` is reset
    refusing: bool = False
    serve_bytes: dict[str, bytes] = field(default_factory=dict)
    ranges: list[str] = field(default_factory=list)  # Range headers received (empty string: none)
    _sha: dict[str, str] = field(default_factory=dict)

    def sha256(self, key: str) -> str:
        if key not in self._sha:
            self._sha[key] = hashlib.sha256(self.files[key]).hexdigest()
        return self._sha[key]


def make_handler(hub: HubFiles) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _resolve_key(self) -> str | None:
            parts = self.path.split("?")[0].strip("/").split("/")
            if len(parts) >= 5 and parts[2] == "resolve":
                return f"{parts[0]}/{parts[1]}/{'/'.join(parts[4:])}"
            return None

        def do_HEAD(self) -> None:
            if self.path.startswith("/cdn/") and self.path[5:] in hub.files:  # the storage URL itself
                self.send_response(200)
                self.send_header("Content-Length", str(len(hub.files[self.path[5:]])))
                self.send_header("ETag", f'"{hub.sha256(self.path[5:])}"')
                self.end_headers()
                return
            key = self._resolve_key()
            if key is None or key not in hub.files:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = hub.files[key]
            sha = hub.sha256(key)
            self.send_response(302)
            self.send_header("Location", f"http://{self.headers['Host']}/cdn/{key}")
            self.send_header("X-Repo-Commit", hub.commit)
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("ETag", f'"{sha}"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            if not self.path.startswith("/cdn/"):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            key = self.path[len("/cdn/"):]
            data = hub.serve_bytes.get(key, hub.files[key])
            rng = self.headers.get("Range", "")
            hub.ranges.append(rng)
            if hub.fail_next or hub.refusing:
                hub.fail_next = max(0, hub.fail_next - 1)
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = int(rng.split("=")[1].split("-")[0]) if rng.startswith("bytes=") else 0
            body = data[start:]
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if hub.cut_after is not None:
                cut, hub.cut_after = hub.cut_after, None
                hub.refusing = hub.refuse_after_cut
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)

    return Handler


class HubServer:
    """Context manager: `with HubServer(hub) as url:` serves on a free loopback port."""

    def __init__(self, hub: HubFiles) -> None:
        self.hub = hub
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(hub))

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
