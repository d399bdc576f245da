"""The container fallback: Docker or Podman through the official `docker` Python client.

Used when bubblewrap cannot run here and the user configured an engine and an
image (`[sandbox] container_engine = "podman"`, `container_image = "python:3.12"`).
Each command runs in a fresh container: read-only root, the worktree mounted
read-write at its real path, git's common directory read-only, a size-limited
/tmp, no network unless allowed, all capabilities dropped, memory/pids/rlimits.

The runner only runs argv, so a command becomes `python -m
smallcoder.sandbox.container_exec SPEC`: a small process that starts the
container, streams its output, and kills it when it is itself terminated.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smallcoder.config import SandboxSettings
from smallcoder.sandbox.gitdirs import GitDirs

LABEL = "smallcoder.run"
EXTRA_HINT = "pip install 'smallcoder[container]'"
# Host-only variables that mean nothing (or the wrong thing) inside an image.
_HOST_ONLY = {"PATH", "HOME", "VIRTUAL_ENV", "PYTHONHOME", "LD_LIBRARY_PATH", "SHELL", "USER", "LOGNAME", "PWD",
              "OLDPWD", "TMPDIR", "XDG_RUNTIME_DIR", "DISPLAY"}


@dataclass(frozen=True)
class EngineCheck:
    usable: bool
    reason: str


def engine_url(settings: SandboxSettings) -> str | None:
    """The engine's API socket: configured, from the environment, or the engine's usual place."""
    if settings.container_url:
        return settings.container_url
    if settings.container_engine == "podman":
        if os.environ.get("CONTAINER_HOST"):
            return os.environ["CONTAINER_HOST"]
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        if os.geteuid() != 0 and runtime:
            return f"unix://{runtime}/podman/podman.sock"
        return "unix:///run/podman/podman.sock"
    return None  # docker: the client reads DOCKER_HOST or uses /var/run/docker.sock


def open_client(settings: SandboxSettings) -> Any:
    """A connected docker.DockerClient; ImportError when the extra is not installed."""
    import docker  # optional extra

    url = engine_url(settings)
    return docker.DockerClient(base_url=url, timeout=30) if url else docker.from_env(timeout=30)


def check(settings: SandboxSettings) -> EngineCheck:
    """Can the configured engine run our containers?"""
    if not settings.container_engine:
        return EngineCheck(False, "no container engine configured ([sandbox] container_engine = \"docker\" or \"podman\")")
    if not settings.container_image:
        return EngineCheck(False, f"{settings.container_engine} is configured but [sandbox] container_image is not set")
    try:
        client = open_client(settings)
    except ImportError:
        return EngineCheck(False, f"container isolation needs the docker Python client — {EXTRA_HINT}")
    except Exception as e:  # the client raises DockerException subclasses for a missing socket and the like
        return EngineCheck(False, f"cannot reach {settings.container_engine}: {_first_line(e)}")
    try:
        client.ping()
    except Exception as e:
        return EngineCheck(False, f"cannot reach {settings.container_engine} at {engine_url(settings) or 'its default socket'}: "
                                  f"{_first_line(e)}")
    finally:
        client.close()
    return EngineCheck(True, f"{settings.container_engine} with image {settings.container_image}")


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def container_env(env: dict[str, str]) -> dict[str, str]:
    out = {k: v for k, v in env.items() if k not in _HOST_ONLY}
    out["HOME"] = "/tmp"
    return out


def run_spec(settings: SandboxSettings, argv: list[str], *, worktree: Path, cwd: Path, git: GitDirs | None,
             env: dict[str, str], run_id: str, toolchain: list[Path]) -> dict[str, Any]:
    """Keyword arguments for `client.containers.run` (ulimits as plain dicts), JSON-serialisable."""
    lim = settings.limits
    wt = worktree.resolve()
    volumes: dict[str, dict[str, str]] = {str(p): {"bind": str(p), "mode": "ro"} for p in toolchain}
    volumes[str(wt)] = {"bind": str(wt), "mode": "rw"}
    if (wt / ".git").is_file():
        volumes[str(wt / ".git")] = {"bind": str(wt / ".git"), "mode": "ro"}
    if git is not None:
        volumes[str(git.common_dir)] = {"bind": str(git.common_dir), "mode": "ro"}
        if git.clean_config is not None:
            volumes[str(git.clean_config)] = {"bind": str(git.common_dir / "config"), "mode": "ro"}
    mib = 1 << 20
    spec: dict[str, Any] = {
        "image": settings.container_image,
        "command": list(argv),
        "working_dir": str(cwd),
        "environment": container_env(env),
        "volumes": volumes,
        "network_disabled": not settings.allow_network,
        "read_only": True,
        "tmpfs": {"/tmp": f"size={lim.tmp_mb}m"},
        "mem_limit": f"{lim.memory_mb}m",
        "pids_limit": lim.processes,
        "ulimits": [
            {"name": "fsize", "soft": lim.file_mb * mib, "hard": lim.file_mb * mib},
            {"name": "cpu", "soft": lim.cpu_s, "hard": lim.cpu_s},
            {"name": "nofile", "soft": lim.open_files, "hard": lim.open_files},
            {"name": "core", "soft": 0, "hard": 0},
        ],
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "init": True,
        "labels": {LABEL: run_id},
        "detach": True,
    }
    if settings.container_engine == "docker":
        # Rootful docker: run as the user, so files written in the worktree are theirs. (Rootless podman
        # maps root inside to the user outside, so it keeps the image's default user.)
        spec["user"] = f"{os.getuid()}:{os.getgid()}"
    return spec


def exec_argv(settings: SandboxSettings, spec: dict[str, Any]) -> list[str]:
    """argv for the runner: the helper process that runs `spec` and relays its output."""
    payload = {"engine": settings.container_engine, "url": settings.container_url, "spec": spec}
    return [sys.executable, "-m", "smallcoder.sandbox.container_exec", json.dumps(payload)]


def remove_run_containers(settings: SandboxSettings, run_id: str) -> None:
    """Remove containers left by this run (a helper killed with SIGKILL cannot stop its container). Never raises."""
    try:
        client = open_client(settings)
        try:
            for c in client.containers.list(all=True, filters={"label": f"{LABEL}={run_id}"}):
                c.remove(force=True)
        finally:
            client.close()
    except Exception:
        pass
