"""The parent-death signal: a child we start dies with us, even when we are killed with SIGKILL.

`prctl(PR_SET_PDEATHSIG, SIGKILL)` (Linux, prctl(2)) asks the kernel to kill the
calling process when the thread that forked it ends. It survives exec of an
ordinary (not set-user-ID) program, so setting it between fork and exec covers
the whole `env -i … bwrap …` chain until bwrap arms its own (`--die-with-parent`).

Set too late, after the parent already died, it does nothing; so the child
checks that its parent is still the one that forked it and exits otherwise.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from typing import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def kill_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess.Popen that arms the parent-death signal; None where Linux lacks it.

    The C function is looked up here, before the fork, so the child does as little as possible between
    fork and exec (Python's warning about preexec_fn and threads is about locks taken in that window).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # we died between fork and prctl: nobody will send the signal
            os._exit(137)

    return arm
