"""Is the process that started a run still alive? Used to tell "running" from "interrupted"."""

from __future__ import annotations

import os


def pid_alive(pid: int | None) -> bool:
    """True when `pid` is a live process on this machine; unknown (None) counts as dead."""
    if not pid or pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":
        # os.kill(pid, 0) would terminate the process on Windows; use psutil when present.
        try:
            import psutil
        except ImportError:
            return True  # cannot tell; do not claim the run was interrupted
        return bool(psutil.pid_exists(pid))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True
