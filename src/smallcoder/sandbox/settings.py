"""What the user asked of the sandbox: which isolation, network or not, and resource limits.

Filled from the `[sandbox]` table of the config file, then from CLI flags.
Defaults are the safe ones: isolation chosen automatically, no network,
and never unsandboxed unless the user says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from smallcoder.errors import ConfigError, SmallcoderError

MODES = ("auto", "bwrap", "container", "none")
ENGINES = ("docker", "podman")
MIB = 1 << 20


class SandboxUnavailable(SmallcoderError):
    """No isolation the user allows can run here; the message says how to fix it."""


@dataclass(frozen=True)
class Limits:
    """Per-command resource limits. Applied as rlimits (and a pids cgroup or container limits where possible)."""

    cpu_s: int = 900  # CPU seconds per process (RLIMIT_CPU); the wall-clock timeout is the runner's
    memory_mb: int = 8192  # address space per process (RLIMIT_AS)
    file_mb: int = 1024  # largest file a command may write (RLIMIT_FSIZE): stops one file filling the disk
    processes: int = 512  # processes/threads in the sandbox (RLIMIT_NPROC in a user namespace, or pids.max)
    open_files: int = 4096  # RLIMIT_NOFILE
    tmp_mb: int = 512  # size of each private tmpfs (/tmp, the hidden home): it lives in RAM

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class SandboxSettings:
    mode: str = "auto"  # auto: bwrap, else a configured container engine, else refuse
    allow_network: bool = False
    limits: Limits = field(default_factory=Limits)
    container_engine: str | None = None  # "docker" or "podman"; None: no container fallback
    container_image: str | None = None  # image with the project's toolchain, e.g. "python:3.12"
    container_url: str | None = None  # engine socket, e.g. unix:///run/user/1000/podman/podman.sock
    read_only_paths: tuple[str, ...] = ()  # extra host paths the build needs, shown read-only
    hidden_paths: tuple[str, ...] = ()  # extra host paths to hide (on top of home, /run, /tmp …)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"sandbox mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.container_engine is not None and self.container_engine not in ENGINES:
            raise ConfigError(f"sandbox container_engine {self.container_engine!r} is not one of {', '.join(ENGINES)}")

    def with_flags(self, *, allow_network: bool = False, no_sandbox: bool = False) -> SandboxSettings:
        """These settings with the CLI flags applied (a flag only ever adds what it names)."""
        out = self
        if allow_network:
            out = replace(out, allow_network=True)
        if no_sandbox:
            out = replace(out, mode="none")
        return out

    @classmethod
    def from_config(cls, table: dict[str, Any] | None) -> SandboxSettings:
        """Settings from the config file's `[sandbox]` table (unknown keys are an error, as elsewhere)."""
        table = dict(table or {})
        known = {f.name for f in fields(cls)}
        unknown = set(table) - known
        if unknown:
            raise ConfigError(f"unknown [sandbox] key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        limits = table.pop("limits", None) or {}
        lknown = {f.name for f in fields(Limits)}
        if set(limits) - lknown:
            bad = ", ".join(sorted(set(limits) - lknown))
            raise ConfigError(f"unknown [sandbox.limits] key(s) {bad}; known: {', '.join(sorted(lknown))}")
        for key in ("read_only_paths", "hidden_paths"):
            if key in table:
                table[key] = tuple(str(p) for p in table[key])
        try:
            return cls(limits=Limits(**{k: int(v) for k, v in limits.items()}), **table)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"bad value in [sandbox]: {e}") from e


def settings_from_user_config() -> SandboxSettings:
    """The `[sandbox]` table of the user's config file (defaults when there is none)."""
    from smallcoder.models.config import load_config  # only here: settings stay importable on their own

    return SandboxSettings.from_config(load_config().sandbox)
