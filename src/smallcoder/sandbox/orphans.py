"""Commands left running by a smallcoder process that died (killed with SIGKILL) before it could stop them.

Every command a sandbox starts carries `SMALLCODER_SANDBOX_OWNER=<pid>` in its
environment. The parent-death signal (workspace/deathsig.py) and bwrap's
`--die-with-parent` kill a run's commands with it; one window stays open:
smallcoder killed in the milliseconds while bwrap sets up its pid namespace,
before bwrap's inner init arms its own signal (containers/bubblewrap#633).
What lives through that window is found here by its marker and killed when the
next sandbox opens. Killing bwrap's init ends its whole pid namespace.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from smallcoder.workspace.processes import pid_alive

OWNER_VAR = "SMALLCODER_SANDBOX_OWNER"


def owner_marker(pid: int | None = None) -> dict[str, str]:
    """The environment entry that marks a command as started by smallcoder process `pid` (default: this one)."""
    return {OWNER_VAR: str(pid if pid is not None else os.getpid())}


def orphaned(proc: Path = Path("/proc")) -> list[int]:
    """Pids of processes whose marker names a smallcoder process that is no longer alive.

    Processes whose environment we may not read (other users') are skipped: they are not ours. So are
    those carrying the marker this process inherited: smallcoder running inside a smallcoder sandbox (a
    project's own tests) cannot see its parent run's owner from inside the pid namespace, and must not
    take that run's processes, its own test command among them, for orphans.
    """
    needle = f"{OWNER_VAR}=".encode()
    inherited = os.environ.get(OWNER_VAR, "").encode()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        for item in environ.split(b"\0"):
            if item.startswith(needle):
                owner = item[len(needle):]
                if owner.isdigit() and owner != inherited and not pid_alive(int(owner)):
                    found.append(int(entry.name))
                break
    return found


def kill_orphans(proc: Path = Path("/proc")) -> list[int]:
    """SIGKILL every orphaned command (see `orphaned`); returns their pids. Never raises."""
    pids = orphaned(proc)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return pids
