"""Is the process that started a run still alive? Used to tell "running" from "interrupted", and to
remove the scratch directories of processes that were killed before they could."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


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


def sweep_scratch(prefix: str) -> None:
    """Remove `<tmp>/<prefix><pid>-…` directories whose process is gone (killed by SIGKILL or SIGTERM
    before its own cleanup ran). The pid right after the prefix names the owner."""
    for path in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        owner = path.name[len(prefix):].split("-", 1)[0]
        if owner.isdigit() and not pid_alive(int(owner)):
            shutil.rmtree(path, ignore_errors=True)
