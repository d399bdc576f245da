"""bubblewrap: find it, check that it can make namespaces here, and build the wrapper argv.

Every namespace is new (user, pid, ipc, uts, cgroup, and net unless the user
allows the network). All capabilities are dropped and nested user namespaces
are refused. The pid namespace is what makes killing reliable: when bwrap's
init process dies, the kernel kills everything left inside, including
processes that left the process group with setsid.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.config import MIB
from smallcoder.sandbox.mounts import MountPlan

PROBE_TIMEOUT_S = 15
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap)"


@dataclass(frozen=True)
class BwrapInfo:
    path: str | None
    version: str | None
    usable: bool
    reason: str  # why it is (not) usable, one line
    options: frozenset[str] = field(default_factory=frozenset)  # the --options this bwrap knows

    def has(self, option: str) -> bool:
        return option in self.options


@functools.lru_cache(maxsize=1)
def probe() -> BwrapInfo:
    """Is bubblewrap installed, and can it create a sandbox here? (cached: the answer does not change)"""
    exe = shutil.which("bwrap")
    if exe is None:
        return BwrapInfo(None, None, False, f"bwrap not found — {INSTALL_HINT}")
    version = _output([exe, "--version"]).replace("bubblewrap", "").strip() or None
    options = frozenset(re.findall(r"^\s+(--[a-z0-9-]+)", _output([exe, "--help"]), re.M))
    try:
        proc = subprocess.run(
            [exe, "--unshare-all", "--unshare-user", "--die-with-parent", "--ro-bind", "/", "/",
             "--proc", "/proc", "--dev", "/dev", "true"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return BwrapInfo(exe, version, False, f"bwrap could not be started: {e}", options)
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[0]
        return BwrapInfo(exe, version, False,
                         f"bwrap cannot create namespaces here ({detail}); unprivileged user namespaces may be "
                         "disabled (sysctl kernel.unprivileged_userns_clone, or an AppArmor restriction)", options)
    return BwrapInfo(exe, version, True, f"bubblewrap {version or '?'} at {exe}", options)


def _output(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def bwrap_prefix(info: BwrapInfo, plan: MountPlan, *, allow_network: bool, tmp_mb: int) -> list[str]:
    """The `bwrap … --` prefix: run what follows inside the sandbox described by `plan`.

    The environment is not set here: bwrap's own process stays visible inside the sandbox as pid 1, with
    its /proc/1/environ readable, so the caller must start bwrap itself with the clean environment.
    """
    assert info.path is not None
    argv = [info.path, "--unshare-all", "--unshare-user"]
    if allow_network:
        argv.append("--share-net")
    if info.has("--disable-userns"):
        argv.append("--disable-userns")  # no nested user namespace: less kernel surface for an escape
    argv += ["--cap-drop", "ALL", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    argv += _mounts(plan, tmp_mb * MIB if info.has("--size") else None)
    return [*argv, "--"]


def _mounts(plan: MountPlan, tmp_bytes: int | None) -> list[str]:
    """Mount operations, parents before children (a later mount covers an earlier one)."""
    ops: list[tuple[int, int, list[str]]] = []  # (depth, order at equal depth, args)
    size = ["--size", str(tmp_bytes)] if tmp_bytes else []
    for path in plan.hide_dirs:
        ops.append((_depth(path), 0, [*size, "--tmpfs", str(path)]))
    for path in plan.hide_files:
        ops.append((_depth(path), 0, ["--ro-bind", "/dev/null", str(path)]))
    for path in plan.writable:
        ops.append((_depth(path), 1, ["--bind", str(path), str(path)]))
    for src, dest in plan.read_only:
        ops.append((_depth(dest), 2, ["--ro-bind", str(src), str(dest)]))
    ops.sort(key=lambda op: (op[0], op[1]))
    return [arg for _, _, args in ops for arg in args]


def _depth(path: Path) -> int:
    return len(path.parts)
