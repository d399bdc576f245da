"""A pids cgroup for the run's commands, used when smallcoder runs as root.

RLIMIT_NPROC never applies to uid 0 (the kernel exempts the root user even in
a user namespace), so as root a fork bomb is only stopped by a pids cgroup.
We make one per run where a writable pids controller exists (cgroup v1
`pids` hierarchy, or cgroup v2 with pids enabled at the root), move each
command into it from the wrapper argv, and remove it when the run ends.
Unprivileged users get RLIMIT_NPROC instead, which does apply to them.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from smallcoder.workspace.processes import pid_alive

_V1 = Path("/sys/fs/cgroup/pids")
# Moves the wrapper shell into the cgroup, then becomes the command: everything it starts stays inside.
_ENTER = 'echo $$ > "$0/cgroup.procs" && exec "$@"'


def pids_base() -> Path | None:
    """A directory where we may create a pids-limited cgroup, or None."""
    if os.geteuid() != 0:
        return None
    if (_V1 / "cgroup.procs").is_file() and os.access(_V1, os.W_OK):
        return _V1
    for mount in _cgroup2_mounts():
        control = mount / "cgroup.subtree_control"
        try:
            if "pids" in control.read_text().split() and os.access(mount, os.W_OK):
                return mount
        except OSError:
            continue
    return None


def _cgroup2_mounts() -> list[Path]:
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    return [Path(parts[1]) for parts in (line.split() for line in lines) if len(parts) > 2 and parts[2] == "cgroup2"]


def create(name: str, max_pids: int) -> Path | None:
    """A new cgroup limited to `max_pids` tasks, or None when that is not possible here."""
    base = pids_base()
    if base is None:
        return None
    sweep(base)
    path = base / f"smallcoder-{name}-{os.getpid()}"
    try:
        path.mkdir(exist_ok=True)
        (path / "pids.max").write_text(f"{max_pids}\n")
    except OSError:
        remove(path)
        return None
    return path


def sweep(base: Path) -> None:
    """Remove cgroups left by smallcoder processes that died without cleaning up (killed with SIGKILL)."""
    for path in base.glob("smallcoder-*-*"):
        owner = path.name.rsplit("-", 1)[1]
        if owner.isdigit() and not pid_alive(int(owner)):
            remove(path)


def enter_prefix(path: Path) -> list[str]:
    """argv prefix that runs the rest of the argv inside the cgroup at `path`."""
    return ["/bin/sh", "-c", _ENTER, str(path)]


def remove(path: Path) -> None:
    """Kill whatever is left in the cgroup, then delete it. Never raises."""
    kill_file = path / "cgroup.kill"  # cgroup v2 (Linux 5.14+): one write kills all
    for _ in range(50):
        try:
            if kill_file.exists():
                kill_file.write_text("1\n")
            else:
                for pid in (path / "cgroup.procs").read_text().split():
                    _kill(int(pid))
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)  # tasks still exiting; rmdir fails with EBUSY until they are gone


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
