"""`smallcoder runs serve` as a user starts it: a real process on a real port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from smallcoder.viewer.command import bind, is_loopback
from tests.viewer.conftest import RESULTS


def smallcoder(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "smallcoder.cli.app", *args], capture_output=True, text=True, check=False,
                          timeout=60, env=os.environ.copy())


def test_serves_the_runs_on_loopback_until_ctrl_c(serve, runs: dict[str, str]) -> None:
    server = serve("--results", str(RESULTS))
    assert server.url.startswith("http://127.0.0.1:")
    page = httpx.get(server.url, timeout=10)
    assert page.status_code == 200 and all(run_id in page.text for run_id in runs.values())
    assert httpx.get(server.url + f"runs/{runs['a']}", timeout=10).status_code == 200
    assert "resolve rate" in httpx.get(server.url + "benchmarks", timeout=10).text
    code, err = server.stop()
    assert code == 0 and "Traceback" not in err


def test_another_host_is_served_with_a_warning(serve, runs: dict[str, str]) -> None:
    server = serve("--host", "0.0.0.0")
    port = server.url.rsplit(":", 1)[1].rstrip("/")
    # Reached by a name other than loopback (here the machine's own name resolving to 127.0.0.1).
    page = httpx.get(f"http://127.0.0.1:{port}/", headers={"Host": f"{socket.gethostname()}:{port}"}, timeout=10)
    assert page.status_code == 200
    _, err = server.stop()
    assert "warning: listening on 0.0.0.0" in err and "anyone who can reach this port" in err


def test_a_taken_port_is_one_line(home: Path) -> None:
    taken = bind("127.0.0.1", 0)
    try:
        res = smallcoder("runs", "serve", "--port", str(taken.getsockname()[1]))
    finally:
        taken.close()
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.startswith("error: cannot listen on 127.0.0.1:") and "--port 0" in res.stderr


def test_bad_results_directory_and_bad_host(home: Path, tmp_path: Path) -> None:
    res = smallcoder("runs", "serve", "--results", str(tmp_path / "missing"))
    assert res.returncode == 2 and "is not a directory" in res.stderr
    res = smallcoder("runs", "serve", "--host", "no-such-host.invalid")
    assert res.returncode == 2 and "cannot resolve --host no-such-host.invalid" in res.stderr


def test_loopback_addresses() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.4", "::", "example.com"))


def test_without_the_extra_it_says_what_to_install(home: Path) -> None:
    # A Python where uvicorn cannot be imported (None in sys.modules makes the import fail).
    code = ("import sys; sys.modules['uvicorn'] = None; sys.argv = ['smallcoder', 'runs', 'serve']; "
            "from smallcoder.cli.app import main; main()")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.startswith("error: the viewer needs its extra (uvicorn is missing)")
    # The message itself names the extra (the CLI's rich printer currently drops "[viewer]" as markup).
    debug = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
                           env={**os.environ, "SMALLCODER_DEBUG": "1"})
    assert "ViewerError: the viewer needs its extra (uvicorn is missing): pip install 'smallcoder[viewer]'" \
        in debug.stderr
