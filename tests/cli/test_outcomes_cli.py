"""Every status and exit code through the real command (issue 22): a scripted model, a model server that fails
mid-run, a repository without tests, Ctrl-C, bad usage. `--json` prints exactly one object in each case."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.agent.conftest import git, snapshot
from tests.agent.scripts import FIX_MEAN, hermes
from tests.backends.openai_fake import Answer, OpenAIFake

# unittest starts in a fraction of pytest's time, which counts on a loaded machine
FAST_TESTS = ("--test-cmd", "python -m unittest -q")
FIELD_STATS = ('"""Statistics helpers."""\n\n\ndef mean(values):\n    return sum(values) / (len(values) - 1)\n\n\n'
               'def spread(values):\n    return max(values) - min(values)\n')
FIELD_TEST = ("import unittest\n\nfrom stats import mean\n\n\nclass T(unittest.TestCase):\n"
              "    def test_mean(self):\n        self.assertEqual(mean([2, 4, 6]), 4)\n")
NO_TESTS_STATS = '"""Statistics helpers."""\n\n\ndef mean(values):\n    return sum(values) / (len(values) - 1)\n'


def smallcoder(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "smallcoder.cli.app", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def one_object(stdout: str) -> dict:
    """The whole of stdout is one JSON object (json.loads refuses anything around it)."""
    out = json.loads(stdout)
    assert isinstance(out, dict)
    return out


@pytest.fixture
def script(tmp_path):
    def write(*outputs: str) -> str:
        path = tmp_path / f"script-{len(list(tmp_path.glob('script-*')))}.json"
        path.write_text(json.dumps(list(outputs)))
        return f"scripted:{path}"
    return write


@pytest.fixture
def no_tests_repo(tmp_path) -> Path:
    repo = tmp_path / "plain-repo"
    repo.mkdir()
    (repo / "stats.py").write_text(NO_TESTS_STATS)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    return repo


@pytest.fixture
def field_repo(tmp_path) -> Path:
    """The field report's repository (think-no-opener-draft-call-xml): the tests cover mean(), not spread()."""
    repo = tmp_path / "field-repo"
    repo.mkdir()
    (repo / "stats.py").write_text(FIELD_STATS)
    (repo / "test_stats.py").write_text(FIELD_TEST)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    return repo


def test_resolved_exits_0_and_its_diff_applies(example_repo, script):
    res = smallcoder("fix", "mean() is wrong", "--repo", str(example_repo), "--model", script(FIX_MEAN), "--json",
                     *FAST_TESTS)
    out = one_object(res.stdout)
    assert res.returncode == 0 == out["exit_code"], res.stderr
    assert out["status"] == "resolved" and out["stop_reason"] == "submitted" and out["success"] is True
    assert out["warnings"] == [] and "failed before the change pass after" in out["reason"]
    raw = smallcoder("runs", "show", out["run_id"], "--diff")
    assert raw.returncode == 0 and raw.stdout == out["diff"] and "\n \n" in raw.stdout  # blank context lines
    shown = smallcoder("runs", "show", out["run_id"])  # the terminal view: the same bytes
    assert raw.stdout in shown.stdout
    applied = subprocess.run(["git", "apply", "-"], cwd=example_repo, input=raw.stdout, text=True,
                             capture_output=True)
    assert applied.returncode == 0, applied.stderr
    assert "/ len(values)" in (example_repo / "stats.py").read_text()
    assert smallcoder("runs", "show", "nosuchrun", "--diff").returncode == 2


def test_tests_still_failing_is_unresolved_exit_1(example_repo, script):
    res = smallcoder("fix", "mean() is wrong", "--repo", str(example_repo), "--json", "--max-steps", "1", *FAST_TESTS,
                     "--model", script(hermes("write_file", path="notes.md", content="hm\n")))
    out = one_object(res.stdout)
    assert res.returncode == 1 and out["status"] == "unresolved" and out["stop_reason"] == "limits_exceeded"
    assert out["reason"] == "step limit of 1 reached; the tests still fail after the change"
    assert out["tests_before_passed"] is False and out["tests_after_passed"] is False


def test_a_change_without_tests_is_changed_unverified_exit_3(no_tests_repo, script):
    res = smallcoder("fix", "mean() divides wrongly", "--repo", str(no_tests_repo), "--json", "--model",
                     script(FIX_MEAN, hermes("submit", summary="fixed")))
    out = one_object(res.stdout)
    assert res.returncode == 3 and out["status"] == "changed-unverified" and out["success"] is False
    assert "no test command" in out["reason"] and "/ len(values)" in out["diff"]


def test_stuck_without_tests_is_unresolved_not_resolved(no_tests_repo, script):
    # The case: the model repeats itself until the stuck detector ends the run; what its commands
    # left behind is a diff, and there are no tests. That is no result.
    scribble = hermes("write_file", path="stats.py", content="def mean(values):\n    return 0\n")
    res = smallcoder("fix", "mean() divides wrongly", "--repo", str(no_tests_repo), "--json", "--model",
                     script(*[scribble] * 6))
    out = one_object(res.stdout)
    assert res.returncode == 1 and out["status"] == "unresolved" and out["stop_reason"] == "stuck", out
    assert out["reason"].startswith("stuck:") and "not verified" in out["reason"] and out["diff"]


def test_model_running_out_of_outputs_is_an_error_exit_4(no_tests_repo, script):
    res = smallcoder("fix", "mean() divides wrongly", "--repo", str(no_tests_repo), "--json", "--model",
                     script(hermes("write_file", path="notes.md", content="x\n")))
    out = one_object(res.stdout)
    assert res.returncode == 4 and out["status"] == "error" and out["exit_code"] == 4
    assert "no output left" in out["reason"] and out["run_id"]
    shown = one_object(smallcoder("runs", "show", out["run_id"], "--json").stdout)
    assert shown["run"]["status"] == "error" and shown["run"]["extra"]["stop_reason"] == "error"
    # without --json: one line on stderr that names the run, nothing on stdout but the live view
    res = smallcoder("fix", "mean() divides wrongly", "--repo", str(no_tests_repo), "--model",
                     script(hermes("write_file", path="notes.md", content="x\n")))
    assert res.returncode == 4 and "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("error: ") and "smallcoder runs show" in res.stderr


def test_a_server_that_fails_mid_run_is_an_error_exit_4(no_tests_repo):
    edit = {"name": "write_file", "arguments": {"path": "notes.md", "content": "looking\n"}}
    with OpenAIFake(flavor="llama-server") as fake:
        fake.answers = [Answer(tool_calls=[edit])]

        def fail_after_first() -> None:  # the server breaks once it has answered one request
            while not fake.requests:
                time.sleep(0.01)
            fake.fail_next = [(500, {"error": {"code": 500, "type": "server_error", "message": "model crashed"}})] * 5

        threading.Thread(target=fail_after_first, daemon=True).start()
        res = smallcoder("fix", "mean() is wrong", "--repo", str(no_tests_repo), "--json",
                         "--model", f"openai:{fake.url}/v1#qwen2.5-coder-7b")
    out = one_object(res.stdout)
    assert res.returncode == 4 and out["status"] == "error", res.stderr
    assert "model crashed" in out["reason"] or "500" in out["reason"], out["reason"]
    assert out["run_id"] and out["steps"] >= 1 and len(fake.requests) >= 2


def test_ctrl_c_is_cancelled_exit_130(example_repo, script, isolated_home):
    # The tests before the run take long; Ctrl-C arrives while they run.
    proc = subprocess.Popen([sys.executable, "-m", "smallcoder.cli.app", "fix", "mean() is wrong", "--repo",
                             str(example_repo), "--json", "--model", script(FIX_MEAN),
                             "--test-cmd", "touch started-marker; sleep 20"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # a suite started as a background job hands its children SIGINT ignored (as a shell
                            # does for `cmd &`), and Python then never raises KeyboardInterrupt: restore it
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 180  # a loaded CI machine can take a while to reach the tests
    while not list(isolated_home.glob("**/started-marker")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    assert list(isolated_home.glob("**/started-marker")), "the tests before the run never started"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    out = one_object(stdout)
    assert proc.returncode == 130 and out["status"] == "cancelled" and out["exit_code"] == 130, (out, stderr)
    assert out["run_id"] and out["reason"] == "interrupted by the user"


def test_bad_usage_exits_2_and_still_prints_one_object(example_repo, tmp_path, script):
    res = smallcoder("fix", "  ", "--repo", str(example_repo), "--json", "--model", script(FIX_MEAN))
    out = one_object(res.stdout)
    assert res.returncode == 2 and out["status"] == "usage" and out["run_id"] is None and "empty" in out["reason"]
    res = smallcoder("fix", "x", "--repo", str(tmp_path / "nowhere"), "--json", "--model", script(FIX_MEAN))
    assert res.returncode == 2 and "repository not found" in one_object(res.stdout)["reason"]
    res = smallcoder("fix", "x", "--repo", str(example_repo), "--force", "--model", script(FIX_MEAN))
    assert res.returncode == 2 and "--force goes with --apply" in res.stderr


def test_a_deleted_function_is_reported_and_apply_asks_for_force(field_repo, script):
    # The draft call of the field report, run: a rewrite of stats.py that fixes mean() and drops spread().
    # The tests only cover mean(), so they pass.
    rewrite = hermes("write_file", path="stats.py", content="def mean(values):\n    return sum(values) / len(values)\n")
    done = hermes("submit", summary="mean fixed")
    before = snapshot(field_repo)
    res = smallcoder("fix", "mean([2,4,6]) should be 4", "--repo", str(field_repo), "--apply", *FAST_TESTS,
                     "--model", script(rewrite, done))
    assert res.returncode == 5, res.stdout + res.stderr
    assert "warning: the change deletes spread() in stats.py" in res.stdout
    assert "resolved" in res.stdout and "pass --force" in res.stdout and snapshot(field_repo) == before

    res = smallcoder("fix", "mean([2,4,6]) should be 4", "--repo", str(field_repo), "--apply", "--force",
                     "--json", *FAST_TESTS, "--model", script(rewrite, done))
    out = one_object(res.stdout)
    assert res.returncode == 0 and out["status"] == "resolved" and out["applied"] is True, res.stderr
    assert out["warnings"] == ["the change deletes spread() in stats.py"]
    assert out["deletions"] == [{"path": "stats.py", "name": "spread", "kind": "function", "line": 8}]
    assert "spread" not in (field_repo / "stats.py").read_text()
    assert "the change deletes spread() in stats.py" in smallcoder("runs", "show", out["run_id"]).stdout
