"""Fixtures: an isolated SMALLCODER_HOME, a store with synthetic runs, the app under a test client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the viewer extra is not installed (pip install 'smallcoder[viewer]')")

from starlette.testclient import TestClient

from smallcoder.store import RunStore
from smallcoder.viewer.app import create_app
from tests.viewer.synthetic import record_synthetic

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("SMALLCODER_HOME", str(path))
    return path


@pytest.fixture
def db(home: Path) -> Path:
    return home / "runs.sqlite3"


@pytest.fixture
def store(db: Path) -> Iterator[RunStore]:
    with RunStore(db) as s:
        yield s


@pytest.fixture
def runs(store: RunStore) -> dict[str, str]:
    """Three runs: two on the same task with different models (one resolved), one on another task."""
    return {
        "a": record_synthetic(store, 6, compact_at=5, fresh_at=None),
        "b": record_synthetic(store, 4, model="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", resolved=False,
                              fresh_at=2),
        "c": record_synthetic(store, 3, task="Rename the <script>alert(1)</script> helper"),
    }


@pytest.fixture
def client(db: Path, runs: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(db, RESULTS), base_url="http://127.0.0.1:8765") as c:
        yield c


class Served:
    """A real `smallcoder runs serve` process; `url` ends with a slash."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        import os
        import subprocess
        import sys

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smallcoder.cli.app", "runs", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # printed once the socket listens
        if "http://" not in line:
            self.proc.kill()
            raise AssertionError(f"the viewer did not start: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.url = line.split("http://", 1)[1].split()[0]
        self.url = "http://" + self.url

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a user stops it; returns (exit code, stderr)."""
        import signal

        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=20)
        except Exception:
            self.proc.kill()
            raise
        return self.proc.returncode, err


@pytest.fixture
def serve(home: Path) -> Iterator[type[Served]]:
    started: list[Served] = []

    class _Served(Served):
        def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
            super().__init__(*args, env=env)
            started.append(self)

    yield _Served
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()
