from __future__ import annotations

import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.runner import run_command


def _gone(pid: int, wait_s: float = 3.0) -> bool:
    """True once `pid` no longer runs (a zombie nobody reaped yet counts as gone)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            state = ""
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def test_success_and_exit_codes(tmp_path: Path) -> None:
    ok = run_command("echo hi", tmp_path)
    assert ok.ok and ok.exit_code == 0 and ok.output == "hi\n" and not ok.truncated and not ok.timed_out
    failed = run_command("echo oops >&2; exit 3", tmp_path)
    assert failed.exit_code == 3 and not failed.ok
    assert failed.output == "oops\n"  # stderr is merged into output
    assert failed.command == "echo oops >&2; exit 3"


def test_runs_bash_not_sh(tmp_path: Path) -> None:
    result = run_command("[[ 1 == 1 ]] && arr=(a b c) && echo ${arr[1]}", tmp_path)
    assert result.ok, result.output
    assert result.output == "b\n"


def test_argv_list_cwd_and_env(tmp_path: Path) -> None:
    code = "import os, sys; print(os.getcwd()); print(os.environ['SC_TEST'], 'PATH' in os.environ)"
    result = run_command([sys.executable, "-c", code], tmp_path, env={"SC_TEST": "yes"})
    assert result.ok
    assert result.output.splitlines() == [str(tmp_path), "yes True"]


def test_stdin_is_dev_null(tmp_path: Path) -> None:
    result = run_command("cat; echo done", tmp_path, timeout=5)
    assert result.ok and result.output == "done\n"


def test_signal_death_reported_like_a_shell(tmp_path: Path) -> None:
    result = run_command([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"], tmp_path)
    assert result.exit_code == 128 + signal.SIGKILL and not result.ok


def test_missing_program_and_missing_cwd(tmp_path: Path) -> None:
    result = run_command(["smallcoder-no-such-program-xyz"], tmp_path)
    assert result.exit_code == 127 and "smallcoder-no-such-program-xyz" in result.output
    assert run_command("smallcoder-no-such-program-xyz", tmp_path).exit_code == 127
    with pytest.raises(WorkspaceError):
        run_command("true", tmp_path / "nope")


def test_wrap_rewrites_the_final_argv(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def wrap(argv: list[str]) -> list[str]:
        seen.append(argv)
        return ["env", "SC_WRAPPED=1", *argv]

    result = run_command("echo $SC_WRAPPED", tmp_path, wrap=wrap)
    assert seen == [["bash", "-c", "echo $SC_WRAPPED"]]
    assert result.output == "1\n"


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    start = time.monotonic()
    result = run_command("sleep 1000 & echo $!; sleep 1000", tmp_path, timeout=0.5)
    assert time.monotonic() - start < 5
    assert result.timed_out and result.exit_code is None and not result.ok
    child = int(result.output.split()[0])
    assert _gone(child), f"background child {child} survived the timeout"


def test_timeout_escalates_to_sigkill(tmp_path: Path) -> None:
    script = "trap '' TERM; sleep 1000 & echo $!; while true; do sleep 0.05; done"
    result = run_command(script, tmp_path, timeout=0.5)
    assert result.timed_out
    assert _gone(int(result.output.split()[0]))


def test_background_children_do_not_block_or_outlive_the_command(tmp_path: Path) -> None:
    start = time.monotonic()
    result = run_command("sleep 1000 & echo $!", tmp_path, timeout=30)
    assert time.monotonic() - start < 5
    assert result.ok and not result.timed_out
    assert _gone(int(result.output.split()[0]))


def test_huge_output_is_bounded(tmp_path: Path) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run_command("yes | head -c 200000000", tmp_path, max_output_chars=10_000)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert result.ok and result.truncated
    assert len(result.output) < 10_200
    assert result.output.startswith("y\ny\n") and result.output.endswith("y\ny\n")
    assert "characters (" in result.output and "lines) cut ...]" in result.output
    assert after - before < 100 * 1024  # KiB: 200 MB of output never sat in memory


def test_binary_output_does_not_crash(tmp_path: Path) -> None:
    result = run_command("printf 'ok\\xff\\xfe\\x00end\\n'; head -c 100000 /dev/urandom", tmp_path, max_output_chars=2000)
    assert result.ok
    assert result.output.startswith("ok\ufffd\ufffd\x00end\n")
    assert result.truncated and len(result.output) < 2100


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """Python's own Ctrl-C handler, even when the suite was started with SIGINT ignored (a background job)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_keyboard_interrupt_kills_the_group_then_reraises(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_command(f"sleep 1000 & echo $! > '{pidfile}'; wait", tmp_path, timeout=30)
    finally:
        timer.cancel()
    assert _gone(int(pidfile.read_text()))


def test_endless_background_writer_does_not_hang(tmp_path: Path) -> None:
    start = time.monotonic()
    result = run_command("yes & echo $! > yes.pid; sleep 0.1", tmp_path, timeout=30, max_output_chars=500)
    assert time.monotonic() - start < 5
    assert result.ok and result.truncated and len(result.output) < 600
    assert _gone(int((tmp_path / "yes.pid").read_text()))
