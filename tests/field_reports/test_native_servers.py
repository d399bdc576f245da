"""Class: native tool calls are part of the answer, end to end against real server processes.

A replay server process (replay_server.py) serves recorded native OpenAI-style replies — tool_calls with
empty text, streamed the way each server flavor cuts its deltas — and `smallcoder fix` runs against it as a
user would run it (the CLI in its own process). The Ollama native path runs through the Ollama fake
(tests/backends/ollama_fake.py), a real HTTP server. Each run must end `resolved` with the fix applied, and
never take a different call for a repeat of an earlier answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smallcoder.agent.events import FormatProblem, FreshAttempt
from smallcoder.backends.ollama import OllamaBackend
from smallcoder.backends.openai_compat import OpenAICompatBackend
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.tools import default_tools, tool_specs
from smallcoder.types import Message

from ..backends.ollama_fake import OllamaFake, Reply

HERE = Path(__file__).parent
READ = ["read_file", {"path": "stats.py"}]
FIX = ["replace_in_file", {"path": "stats.py", "old": "(len(values) - 1)", "new": "len(values)"}]
SUBMIT = ["submit", {"summary": "mean divides by len(values) — naïve fix 😀"}]
FLAVORS = ["llama-server", "empty-content", "no-index", "name-every-delta", "late-id", "resend-args", "split-anywhere"]
TEST_CMD = f"{sys.executable} -m unittest -q test_stats"


class ReplayServer:
    """The replay server as a child process; `url` once it listens."""

    def __init__(self, replies: list[dict], flavor: str, tmp: Path) -> None:
        script = tmp / f"replies-{flavor}.json"
        script.write_text(json.dumps(replies), encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, str(HERE / "replay_server.py"), str(script), flavor],
                                     stdout=subprocess.PIPE, text=True)
        port = self.proc.stdout.readline().strip() if self.proc.stdout else ""
        self.url = f"http://127.0.0.1:{port}/v1"

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def cli_fix(repo: Path, model: str, home: Path) -> tuple[int, dict, str]:
    env = {**os.environ, "SMALLCODER_HOME": str(home)}
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from smallcoder.cli.app import main; sys.argv[0] = 'smallcoder'; main()",
         "fix", "mean([2,4,6]) should be 4", "--repo", str(repo), "--model", model, "--ctx", "16384",
         "--test-cmd", TEST_CMD, "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    return out.returncode, (json.loads(out.stdout) if out.stdout.strip().startswith("{") else {}), out.stderr


def show_run(run_id: str, home: Path) -> str:
    env = {**os.environ, "SMALLCODER_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", "import sys; from smallcoder.cli.app import main; sys.argv[0] = 'smallcoder'; main()",
         "runs", "show", run_id], capture_output=True, text=True, env=env, timeout=60).stdout


REPLIES = [{"text": "", "calls": [READ]}, {"text": "", "calls": [FIX]}, {"text": "", "calls": [SUBMIT]}]


@pytest.mark.parametrize("flavor", ["empty-content"])
def test_smallcoder_fix_resolves_against_a_server_answering_with_native_calls(mean_repo, tmp_path, isolated_home,
                                                                               flavor):
    replies = REPLIES
    with ReplayServer(replies, flavor, tmp_path) as server:
        code, result, err = cli_fix(mean_repo, f"openai:{server.url}#local", isolated_home)
    assert code == 0, err
    assert result["status"] == "resolved", result.get("reason")
    assert "+    return sum(values) / len(values)" in result["diff"]
    assert result["model_calls"] == 2  # read, then the fix: the tests pass and the run ends
    shown = show_run(result["run_id"], isolated_home)
    assert "repeated an earlier answer" not in shown and "format problem" not in shown
    assert 'read_file(path="stats.py")' in shown


@pytest.mark.parametrize("flavor", FLAVORS)
def test_every_stream_flavor_resolves_through_the_openai_backend(mean_repo, tmp_path, flavor):
    # The same server process, the pipeline in this process: every way of cutting the deltas.
    events: list[object] = []
    replies = [{"text": "Let me read the code first.", "calls": [READ]}, *REPLIES[1:]]
    with ReplayServer(replies, flavor, tmp_path) as server:
        backend = OpenAICompatBackend(server.url, "local", ctx=16_384)
        result = run_fix("mean([2,4,6]) should be 4", mean_repo, backend, FixOptions(test_command=TEST_CMD),
                         [events.append])
    assert result.status == "resolved", result.reason
    assert not [e for e in events if isinstance(e, (FreshAttempt, FormatProblem))]
    assert "+    return sum(values) / len(values)" in result.diff


def test_the_submit_summary_survives_surrogate_halves_split_across_chunks(mean_repo, tmp_path):
    replies = [{"text": "", "calls": [SUBMIT]}]
    with ReplayServer(replies, "split-anywhere", tmp_path) as server:
        backend = OpenAICompatBackend(server.url, "local", ctx=16_384)
        completion = backend.complete([Message("user", "go")], tool_specs(default_tools()), max_tokens=64)
    assert [(c.name, c.arguments) for c in completion.tool_calls] == [tuple(SUBMIT)]


def test_ollama_native_calls_with_empty_text_resolve(mean_repo):
    events: list[object] = []
    with OllamaFake() as fake:
        fake.replies = [Reply("", [{"name": n, "arguments": a}]) for n, a in (READ, FIX, SUBMIT)]
        backend = OllamaBackend("qwen2.5-coder:7b", host=fake.url, memory_budget_bytes=1 << 33)
        result = run_fix("mean([2,4,6]) should be 4", mean_repo, backend, FixOptions(test_command=TEST_CMD),
                         [events.append])
        sent_tools = [bool(r.get("tools")) for r in fake.requests]
    assert all(sent_tools)  # the native path: tools went to Ollama, calls came back parsed
    assert result.status == "resolved", result.reason
    assert not [e for e in events if isinstance(e, FreshAttempt)]
    assert "+    return sum(values) / len(values)" in result.diff
