"""Resource limits (rlimits) for a sandboxed command, as a prefix to its argv.

Why a prefix rather than a preexec hook: the runner only lets us rewrite the
argv, and the limits must apply inside the sandbox, to the command and not to
bwrap itself (bwrap needs to fork). `prlimit` (util-linux, present wherever
bubblewrap is) costs about a millisecond; where it is missing, a two-line
Python shim does the same job with the interpreter that runs smallcoder.

Each limit is clamped to our own hard limit: an unprivileged process cannot
raise a hard limit, and prlimit would then refuse to run the command at all.
"""

from __future__ import annotations

import resource
import shutil
import sys

from smallcoder.config import MIB, Limits

# The shim sets each NAME=VALUE pair as soft and hard limit, then replaces itself with the command.
_SHIM = (
    "import os,sys,resource as r\n"
    "i=sys.argv.index('--')\n"
    "for a in sys.argv[1:i]:n,v=a.split('=');v=int(v);r.setrlimit(getattr(r,n),(v,v))\n"
    "os.execvp(sys.argv[i+1],sys.argv[i+1:])"
)


def rlimit_values(limits: Limits) -> dict[str, int]:
    """RLIMIT_* name -> value, clamped to what this process may set."""
    wanted = {
        "RLIMIT_CPU": limits.cpu_s,
        "RLIMIT_AS": limits.memory_mb * MIB,
        "RLIMIT_FSIZE": limits.file_mb * MIB,
        "RLIMIT_NPROC": limits.processes,
        "RLIMIT_NOFILE": limits.open_files,
        "RLIMIT_CORE": 0,  # core dumps of crashing commands would land in the worktree
    }
    out = {}
    for name, value in wanted.items():
        _, hard = resource.getrlimit(getattr(resource, name))
        out[name] = value if hard == resource.RLIM_INFINITY else min(value, hard)
    return out


_PRLIMIT_FLAGS = {
    "RLIMIT_CPU": "--cpu",
    "RLIMIT_AS": "--as",
    "RLIMIT_FSIZE": "--fsize",
    "RLIMIT_NPROC": "--nproc",
    "RLIMIT_NOFILE": "--nofile",
    "RLIMIT_CORE": "--core",
}


def limit_tool() -> str:
    """What applies the limits here: "prlimit" or "python"."""
    return "prlimit" if shutil.which("prlimit") else "python"


def limits_prefix(limits: Limits, *, python: str | None = None) -> list[str]:
    """argv prefix that applies `limits`, then runs what follows (which starts with `--`'s successor)."""
    values = rlimit_values(limits)
    prlimit = shutil.which("prlimit")
    if prlimit:
        return [prlimit, *(f"{_PRLIMIT_FLAGS[n]}={v}" for n, v in values.items()), "--"]
    return [python or sys.executable, "-c", _SHIM, *(f"{n}={v}" for n, v in values.items()), "--"]
