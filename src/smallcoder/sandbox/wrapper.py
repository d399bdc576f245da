"""A run's sandbox: turns each command's argv into one that runs isolated, and says how.

    isolation = choose_isolation(settings)          # before the worktree exists: a refusal leaves nothing
    sandbox = open_sandbox(isolation, wt.path, repo=root, run_id=run_id)
    ctx = ToolContext(root=wt.path, wrap=sandbox.wrap, env=sandbox.env, ...)
    RunFinished(..., extra={"isolation": sandbox.record()})

The environment is decided here, not by the runner: it is the caller's
environment without credentials (secrets.py) plus `extra_env`, set with
`env -i` in front of everything else — bwrap included, because bwrap's own
process is visible inside the sandbox and its environment readable there.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import weakref
from pathlib import Path
from typing import Any

from smallcoder.sandbox import bwrap, cgroup, container
from smallcoder.sandbox.gitdirs import find_git_dirs
from smallcoder.sandbox.limits import limit_tool, limits_prefix
from smallcoder.sandbox.mounts import MountPlan, plan_mounts
from smallcoder.sandbox.orphans import kill_orphans, owner_marker
from smallcoder.sandbox.select import Isolation
from smallcoder.secrets import filter_env
from smallcoder.workspace.processes import sweep_scratch

SCRATCH_PREFIX = "smallcoder-sandbox-"


class Sandbox:
    """Built once per run, for one worktree. `wrap` is what the command runner calls."""

    def __init__(self, isolation: Isolation, worktree: Path, *, repo: Path | None = None, run_id: str = "run",
                 extra_env: dict[str, str] | None = None, extra_read_only: tuple[str, ...] = (),
                 read_only_worktree: bool = False) -> None:
        self.isolation = isolation
        self.read_only_worktree = read_only_worktree  # chat's `plan` mode
        self.extra_read_only = tuple(extra_read_only)  # the project's environment (session/preflight.py)
        self.settings = isolation.settings
        self.worktree = Path(worktree).resolve()
        self.repo = repo
        self.run_id = run_id
        self.env, self.dropped_env = filter_env()
        self.env.update(extra_env or {})
        self.env.update(owner_marker())  # lets the next sandbox find commands that outlived a killed run
        if isolation.sandboxed:
            self.env["TMPDIR"] = "/tmp"  # the private tmpfs; the host's TMPDIR may be hidden or read-only inside
        kill_orphans()
        sweep_scratch(SCRATCH_PREFIX)
        self._scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-{run_id}-"))
        self.git = find_git_dirs(self.worktree, self._scratch)
        self.plan: MountPlan | None = None
        self.cgroup: Path | None = None
        self._prefix: list[str] = []
        clean_env = [shutil.which("env") or "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in self.env.items())]
        if isolation.kind == "bwrap":
            self._prefix = [*clean_env, *self._bwrap_prefix()]
        elif isolation.kind == "none":
            self._prefix = [*clean_env, *limits_prefix(self.settings.limits)]
        self._finalizer = weakref.finalize(self, _cleanup, self._scratch, self.cgroup, self.settings, run_id,
                                           isolation.kind == "container")

    def _bwrap_prefix(self) -> list[str]:
        s = self.settings
        self.plan = plan_mounts(self.worktree, self.git, repo=self.repo,
                                extra_read_only=(*s.read_only_paths, *self.extra_read_only),
                                extra_hidden=s.hidden_paths, allow_network=s.allow_network,
                                read_only_worktree=self.read_only_worktree)
        # As root, RLIMIT_NPROC does not apply: a pids cgroup stops fork bombs instead (see cgroup.py).
        if os.geteuid() == 0:
            self.cgroup = cgroup.create(self.run_id, s.limits.processes)
        return [
            *(cgroup.enter_prefix(self.cgroup) if self.cgroup else []),
            *bwrap.bwrap_prefix(bwrap.probe(), self.plan, allow_network=s.allow_network, tmp_mb=s.limits.tmp_mb),
            *limits_prefix(s.limits),
        ]

    @property
    def runner_env(self) -> dict[str, str] | None:
        """What to pass as the runner's `env`: nothing, the wrapper sets the whole environment itself."""
        return None

    def wrap(self, argv: list[str]) -> list[str]:
        """The runner's `wrap`: argv, run inside this sandbox."""
        if self.isolation.kind == "container":
            spec = container.run_spec(self.settings, list(argv), worktree=self.worktree, cwd=self.worktree,
                                      git=self.git, env=self.env, run_id=self.run_id,
                                      toolchain=self._container_toolchain())
            return container.exec_argv(self.settings, spec)
        return [*self._prefix, *argv]

    def _container_toolchain(self) -> list[Path]:
        # The interpreter running smallcoder, so a detected `python -m pytest` command resolves in the image.
        # And the project's environment (its venv, base interpreter, linked folders): read-only, as under bwrap.
        paths = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, *self.extra_read_only) if p}
        return sorted(p for p in paths if p.is_dir())

    def record(self) -> dict[str, Any]:
        """What the run record keeps about the isolation (the `isolation` key of the run's extra data)."""
        s = self.settings
        out: dict[str, Any] = {
            "kind": self.isolation.kind,
            "sandboxed": self.isolation.sandboxed,
            "reason": self.isolation.reason,
            "network": s.allow_network if self.isolation.sandboxed else True,
            "limits": s.limits.as_dict(),
            "limits_applied_with": {"bwrap": limit_tool(), "none": limit_tool(), "container": "engine"}[
                self.isolation.kind],
            "env_dropped": self.dropped_env,
        }
        if self.isolation.kind == "bwrap":
            out["process_limit"] = "pids cgroup" if self.cgroup else "RLIMIT_NPROC"
            if os.geteuid() == 0 and not self.cgroup:
                out["process_limit"] = "none (running as root without a writable pids cgroup)"
            out["mounts"] = self.plan.describe() if self.plan else {}
        if self.isolation.kind == "container":
            out["engine"], out["image"] = s.container_engine, s.container_image
        return out

    def close(self) -> None:
        """Remove what the sandbox made (scratch files, the cgroup, left-over containers). Idempotent."""
        self._finalizer()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()




def _cleanup(scratch: Path, cg: Path | None, settings: Any, run_id: str, containers: bool) -> None:
    # Runs on close(), on garbage collection, or at interpreter exit (weakref.finalize), whichever is first.
    if cg is not None:
        cgroup.remove(cg)
    if containers:
        container.remove_run_containers(settings, run_id)
    shutil.rmtree(scratch, ignore_errors=True)


def open_sandbox(isolation: Isolation, worktree: Path, *, repo: Path | None = None, run_id: str = "run",
                 extra_env: dict[str, str] | None = None, extra_read_only: tuple[str, ...] = (),
                 read_only_worktree: bool = False) -> Sandbox:
    return Sandbox(isolation, worktree, repo=repo, run_id=run_id, extra_env=extra_env, extra_read_only=extra_read_only,
                   read_only_worktree=read_only_worktree)
