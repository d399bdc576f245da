"""Settings: the TOML config file, then environment variables, then command-line flags, merged once
into an immutable `UserConfig` that every entry point passes down.

    config = load_config().with_flags(model=..., ctx=..., allow_network=...)

The `[sandbox]` table becomes a `SandboxSettings` here, once. Defaults are the
safe ones: isolation chosen automatically, no network, never unsandboxed
unless the user says so, no server off this machine unless allowed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from smallcoder.errors import ConfigError

MODES = ("auto", "bwrap", "container", "none")
ENGINES = ("docker", "podman")
MIB = 1 << 20


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


CONFIG_ENV = "SMALLCODER_CONFIG"
MODEL_ENV = "SMALLCODER_MODEL"


@dataclass(frozen=True)
class UserConfig:
    """Everything a session is opened with. Immutable: flags make a new value (`with_flags`)."""

    model: str | None = None  # a model spec (see backends/specs.py); None: found at open time
    ctx: int | None = None  # context window in tokens; None: the model's, capped by memory
    threads: int | None = None
    temperature: float = 0.2
    dialect: str | None = None  # tool-call format the model writes (hermes, qwen3_xml, mistral, ...); default: detected
    base_url: str | None = None  # a model server (Ollama or OpenAI-compatible) for ollama:/openai: specs
    allow_remote: bool = False  # opt in to a server that is not on this machine: code leaves it
    api_key_env: str | None = None  # environment variable holding that server's API key
    python: str | None = None  # the project's interpreter or environment for its tests; None: discovered
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)

    def with_flags(self, *, allow_network: bool = False, no_sandbox: bool = False, **values: Any) -> UserConfig:
        """This config with command-line flags applied. A flag left at None (or False) changes nothing."""
        unknown = set(values) - {f.name for f in fields(self)} - {"sandbox"}
        if unknown:
            raise TypeError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        changes = {k: v for k, v in values.items() if v is not None and v is not False}
        out = replace(self, **changes)
        if allow_network or no_sandbox:
            out = replace(out, sandbox=out.sandbox.with_flags(allow_network=allow_network, no_sandbox=no_sandbox))
        return out


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$SMALLCODER_CONFIG`, else `config.toml` in the platform's user config dir."""
    env = os.environ if environ is None else environ
    override = env.get(CONFIG_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir("smallcoder")) / "config.toml"


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> UserConfig:
    """The config file (missing = defaults) with `$SMALLCODER_MODEL` over its `model`.

    Raises ConfigError, naming the file, for unreadable TOML, unknown keys and bad values.
    """
    env = os.environ if environ is None else environ
    path = path or config_path(env)
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"cannot read config {path}: {e}") from e
    known = {f.name for f in fields(UserConfig)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))} in {path}; known: {', '.join(sorted(known))}")
    sandbox = SandboxSettings.from_config(data.pop("sandbox", None))
    if env.get(MODEL_ENV):
        data["model"] = env[MODEL_ENV]
    try:
        return UserConfig(sandbox=sandbox, **data)
    except TypeError as e:
        raise ConfigError(f"bad value in {path}: {e}") from e
