"""The project's own environment: which interpreter and toolchain its tests need, found the way its users find it.

    env = find_environment(repo, python="/path/to/python")     # or env=".venv", or neither
    env.describe()                    # "python 3.12.1 · uv project .venv at /src/proj/.venv"
    env.run_env(worktree)             # variables for every command of the run (PYTHONPATH, PATH, offline flags)
    env.read_only                     # host paths the sandbox shows read-only (the venv, its base interpreter)
    env.record()                      # what the run record keeps

Python is looked for in this order (the first that exists wins; see docs/environments.md):
`--python` / `--env` / the config file; an activated `VIRTUAL_ENV` or conda env; `.venv` or `venv` in the
repository; the environments of uv, Poetry, PDM, Hatch and pipenv, asked through their own commands; tox's and
nox's environments; and last the interpreter running smallcoder. Node, Rust, Go and Java projects are described by
environment_other.py. A path that is given but is no environment, or an interpreter that does not start, is an
error naming the fix; nothing found is not (preflight decides, once the tests have run).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smallcoder.errors import WorkspaceError


class EnvironmentProblem(WorkspaceError):
    """The project's environment is missing, broken or incomplete; the message names the one command that fixes it."""


@dataclass(frozen=True)
class Environment:
    """One toolchain a run's commands use.

    `language`: python | node | rust | go | java. `kind`: how it is managed (explicit, virtualenv, conda, venv, uv,
    poetry, pdm, hatch, pipenv, tox, nox, smallcoder; npm, pnpm, yarn, bun; cargo; go; maven, gradle).
    `source`: the evidence, in words ("--python", "VIRTUAL_ENV", "repository .venv", "`poetry env info --path`").
    `executable`: the interpreter or tool (absolute path, or None). `prefix`: the environment's root directory.
    `source_dirs`: directories, relative to the repository, that must be imported from the run's worktree
    (what the environment's editable installs point at), first one first. `variables`: set for every command.
    `read_only`: host paths the sandbox must show (read-only). `provision`: ignored directories, relative to the
    repository, to show in the worktree (node_modules, …). `notes`: one-line remarks for the record.
    """

    language: str
    kind: str
    source: str
    executable: str | None = None
    prefix: str | None = None
    version: str | None = None
    source_dirs: tuple[str, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()
    path_dirs: tuple[str, ...] = ()  # put in front of PATH (the venv's bin, node_modules/.bin)
    read_only: tuple[str, ...] = ()
    provision: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    has_pytest: bool | None = None  # Python only: can the interpreter import pytest?

    def describe(self) -> str:
        """One line for the live view and `doctor`."""
        version = f" {self.version}" if self.version else ""
        where = f" at {self.prefix}" if self.prefix else (f" ({self.executable})" if self.executable else "")
        return f"{self.language}{version} · {self.kind}{where} — found by {self.source}"

    def run_env(self, worktree: Path | None) -> dict[str, str]:
        """Variables for the run's commands. With a worktree, PYTHONPATH puts its sources first, so the tests
        import the run's code, never the user's checkout that an editable install points at."""
        out = dict(self.variables)
        if self.path_dirs:
            out["PATH"] = os.pathsep.join([*self.path_dirs, os.environ.get("PATH", os.defpath)])
        if worktree is not None and self.language == "python":
            dirs = [str(Path(worktree) / rel) if rel != "." else str(worktree) for rel in self.source_dirs]
            if dirs:
                out["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(dirs))
        return out

    def record(self) -> dict[str, Any]:
        """The `environment` entry of a run's extra data."""
        out: dict[str, Any] = {"language": self.language, "kind": self.kind, "source": self.source,
                               "executable": self.executable, "prefix": self.prefix, "version": self.version}
        if self.source_dirs:
            out["source_dirs"] = list(self.source_dirs)
        if self.provision:
            out["provisioned"] = list(self.provision)
        if self.notes:
            out["notes"] = list(self.notes)
        return out


@dataclass(frozen=True)
class EnvironmentRequest:
    """What the user said: `python` (an interpreter) or `env` (an environment directory), from a flag or config."""

    python: str | None = None
    env: str | None = None
    origin: str = "flag"  # "flag" or "config": named in messages

    def __post_init__(self) -> None:
        if self.python and self.env:
            raise EnvironmentProblem("pass either --python or --env, not both")


def environment_request(python: str | None, env: str | None, configured: str | None) -> EnvironmentRequest | None:
    """The flags (`--python`, `--env`) over the config file's `python` (an interpreter or an environment
    directory); None when neither says anything, so the environment is found."""
    if python or env:
        return EnvironmentRequest(python=python, env=env)
    if configured:
        return EnvironmentRequest(python=configured, origin="config")
    return None


@dataclass
class Environments:
    """Every toolchain the repository uses; `primary` is the one whose tests run (Python before the others)."""

    items: list[Environment] = field(default_factory=list)

    @property
    def primary(self) -> Environment | None:
        return self.items[0] if self.items else None

    @property
    def python(self) -> Environment | None:
        return next((e for e in self.items if e.language == "python"), None)

    def run_env(self, worktree: Path | None) -> dict[str, str]:
        out: dict[str, str] = {}
        paths: list[str] = []
        for env in self.items:
            for key, value in env.run_env(worktree).items():
                if key == "PATH":
                    paths += [p for p in env.path_dirs if p not in paths]
                else:
                    out.setdefault(key, value)
        if paths:
            out["PATH"] = os.pathsep.join([*paths, os.environ.get("PATH", os.defpath)])
        return out

    @property
    def read_only(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for e in self.items for p in e.read_only))

    @property
    def provision(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for e in self.items for p in e.provision))

    def describe(self) -> str:
        return "; ".join(e.describe() for e in self.items) or "no project environment found"

    def record(self) -> list[dict[str, Any]]:
        return [e.record() for e in self.items]
