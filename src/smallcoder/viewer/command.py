"""`smallcoder runs serve`: start the viewer on a loopback port.

Registered by cli/runs.py. The web stack is imported only when the command runs,
so `smallcoder` works without the `viewer` extra.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from smallcoder.errors import SmallcoderError
from smallcoder.paths import Home

DEFAULT_PORT = 8765


class ViewerError(SmallcoderError):
    """The viewer cannot start (missing extra, port taken, bad address)."""


def is_loopback(host: str) -> bool:
    """True for localhost and addresses in 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free one); a taken port is a one-line error."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise ViewerError(f"cannot resolve --host {host}: {e.strerror}") from e
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind(address)
    except OSError as e:
        sock.close()
        hint = "pass --port N, or --port 0 for any free port" if e.errno in (98, 48, 10048) else "check --host"
        raise ViewerError(f"cannot listen on {host}:{port}: {e.strerror}; {hint}") from e
    sock.listen(128)
    return sock


def default_results() -> Path | None:
    """benchmarks/results under the current directory, when there is one (a smallcoder checkout)."""
    path = Path.cwd() / "benchmarks" / "results"
    return path if path.is_dir() else None


def serve_command(
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on (0: any free one).")] = DEFAULT_PORT,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1). Anything but loopback exposes your runs to the network.")] = None,
    results: Annotated[Path | None, typer.Option("--results", help="Benchmark results directory to plot (default: ./benchmarks/results if present).")] = None,
    batch: Annotated[list[Path] | None, typer.Option("--batch", help="A `smallcoder batch` output directory to plot (repeatable).")] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in a web browser.")] = False,
) -> None:
    """Serve a local web page of the recorded runs: list, timeline, compare, benchmark plots."""
    try:
        import uvicorn

        from smallcoder.viewer.app import LOOPBACK_NAMES, create_app
    except ImportError as e:
        raise ViewerError(f"the viewer needs its extra ({e.name} is missing): pip install 'smallcoder[viewer]'") from e
    address = host or "127.0.0.1"
    if results is not None and not results.is_dir():
        raise ViewerError(f"--results {results} is not a directory")
    for out in batch or []:
        if not (out / "batch.json").is_file():
            raise ViewerError(f"--batch {out} is not a batch output directory (it has no batch.json)")
    allowed = list(LOOPBACK_NAMES)
    if not is_loopback(address):
        # Said on stderr before anything listens: the runs hold code, diffs and task text.
        print(f"warning: listening on {address}: anyone who can reach this port can read every recorded run "
              "(code, diffs, model output); there is no login", file=sys.stderr)
        allowed = ["*"]  # reached by other names (the machine's hostname, its LAN address)
    sock = bind(address, port)
    bound_port = sock.getsockname()[1]
    shown = f"[{address}]" if ":" in address else address
    url = f"http://{shown}:{bound_port}/"
    app = create_app(Home.from_env().db, results if results is not None else default_results(), allowed,
                     batches=batch or [])
    print(f"smallcoder runs viewer: {url}  (Ctrl-C stops it)", flush=True)
    if open_browser:
        webbrowser.open(url)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn shut down cleanly, then re-raised the Ctrl-C: stopping the viewer is not an error
    finally:
        sock.close()
    print("viewer stopped", file=sys.stderr)
