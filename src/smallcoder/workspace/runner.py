"""Running a command for the agent: own process group, hard timeout, bounded output.

Every command runs in a new session, so it and everything it starts form one
process group that we can kill as a whole: on timeout, on Ctrl-C, and when
the command returns while background children are still running (they
would otherwise hold the output pipe open or outlive the run).

On Linux the command also gets SIGKILL when smallcoder dies (the parent-death
signal, set between fork and exec), so a smallcoder killed with SIGKILL does
not leave it running. A sandbox's own start-up has a window the kernel cannot
close this way; sandbox/orphans.py sweeps what slips through.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.capture import HeadTailCapture
from smallcoder.workspace.deathsig import kill_with_parent

READ_SIZE = 1 << 16
TERM_GRACE_S = 1.0  # after SIGTERM, how long the group gets before SIGKILL
DRAIN_S = 1.0  # after the kill, how long we wait for the pipe to close
READY_S = 0.2  # after the command exits, how long we keep reading what its children already wrote


@dataclass
class CommandResult:
    command: str
    exit_code: int | None  # None when killed by timeout
    output: str  # stdout+stderr merged, truncated head+tail
    timed_out: bool
    duration_s: float
    truncated: bool

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def run_command(
    command: str | list[str],
    cwd: Path,
    *,
    timeout: float = 120.0,
    max_output_chars: int = 20_000,
    env: dict[str, str] | None = None,
    wrap: Callable[[list[str]], list[str]] | None = None,
) -> CommandResult:
    """Run `command` in `cwd` and return what happened; never raises for the command's own failures.

    A str runs with `bash -c` (models write bash-isms); a list runs as argv.
    `env` is layered over the current environment. `wrap` rewrites the final
    argv (a sandbox such as bubblewrap). A program that cannot be started
    gives exit code 127 (126 when not executable), like a shell would.
    """
    if isinstance(command, str):
        shown, argv = command, ["bash", "-c", command]
    else:
        shown, argv = subprocess.list2cmdline(command), list(command)
    if wrap is not None:
        argv = list(wrap(argv))
    cwd = Path(cwd)
    if not cwd.is_dir():
        raise WorkspaceError(f"cannot run a command in {cwd}: no such directory")
    full_env = {**os.environ, **env} if env is not None else None

    capture = HeadTailCapture(max_output_chars)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=kill_with_parent(),
        )
    except OSError as exc:
        code = 126 if isinstance(exc, PermissionError) else 127
        message = f"cannot run {argv[0]}: {exc.strerror or exc}\n"
        return CommandResult(shown, code, message, False, time.monotonic() - start, False)

    assert proc.stdout is not None
    try:
        timed_out = _pump(proc, capture, start + timeout)
        _end_group(proc, terminate_first=timed_out)
        _drain(proc, capture, time.monotonic() + DRAIN_S)
    except BaseException:
        # Ctrl-C (or any bug of ours) must not leave the command running.
        _end_group(proc, terminate_first=False)
        raise
    finally:
        proc.stdout.close()
    capture.feed(b"", final=True)

    exit_code: int | None = proc.returncode
    if timed_out:
        exit_code = None
    elif exit_code is not None and exit_code < 0:
        exit_code = 128 - exit_code  # killed by a signal: report it the way a shell does
    return CommandResult(
        command=shown,
        exit_code=exit_code,
        output=capture.text(),
        timed_out=timed_out,
        duration_s=time.monotonic() - start,
        truncated=capture.truncated,
    )


def _pump(proc: subprocess.Popen[bytes], capture: HeadTailCapture, deadline: float) -> bool:
    """Read output until the command has exited (True if the deadline came first)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    eof = False
    nap = 0.001
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            if _leader_exited(proc):
                if not eof:
                    # Background children still hold the pipe: take what is there now, then stop.
                    _read_ready(sel, fd, capture)
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if eof:
                # The pipe closed before the process was reaped: wait for the exit with short naps.
                time.sleep(min(nap, remaining))
                nap = min(nap * 2, 0.05)
                continue
            if sel.select(min(remaining, 0.05)):
                data = os.read(fd, READ_SIZE)
                if data:
                    capture.feed(data)
                else:
                    eof = True


def _read_ready(sel: selectors.BaseSelector, fd: int, capture: HeadTailCapture) -> None:
    """Read what is already waiting in the pipe, without blocking, for at most READY_S (a child may never stop writing)."""
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline and sel.select(0):
        data = os.read(fd, READ_SIZE)
        if not data:
            return
        capture.feed(data)


def _drain(proc: subprocess.Popen[bytes], capture: HeadTailCapture, deadline: float) -> None:
    """After the group is gone, read the rest; give up at the deadline (a process that left the group may hold the pipe)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while (remaining := deadline - time.monotonic()) > 0:
            if not sel.select(remaining):
                return
            data = os.read(fd, READ_SIZE)
            if not data:
                return
            capture.feed(data)


def _leader_exited(proc: subprocess.Popen[bytes]) -> bool:
    """Has the command's main process exited? Does not reap it.

    While the exited leader stays a zombie its pid cannot be reused, so
    signalling the process group that carries its id cannot hit a stranger.
    """
    if proc.returncode is not None:
        return True
    if not hasattr(os, "waitid"):  # pragma: no cover - platforms without waitid
        return proc.poll() is not None
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _end_group(proc: subprocess.Popen[bytes], *, terminate_first: bool) -> None:
    """Kill the command's whole process group, then reap the main process."""
    if terminate_first:
        _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + TERM_GRACE_S
        while not _leader_exited(proc) and time.monotonic() < deadline:
            time.sleep(0.01)
    _signal_group(proc, signal.SIGKILL)
    proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.returncode is not None:
        return  # reaped: the group id may belong to someone else now
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone
