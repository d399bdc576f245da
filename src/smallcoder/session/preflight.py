"""Before the model is called: is the project's environment there, is the worktree complete, can the tests run?

    envs = find_environment(root, options.environment)          # before the worktree: a broken env leaves nothing
    prep = prepare_worktree(envs, root, wt.path, options.test_command)
    sandbox = open_sandbox(..., extra_env=prep.run_env, extra_read_only=prep.read_only)
    tests_before = run_preflight(prep, agent.run_tests)           # raises EnvironmentProblem, naming the fix

A failing test is what a run is for; a test run that cannot even start or import the project's dependencies
is not, and no edit by the model can fix it. Those stop the run here, in one line that names the command that
fixes them (`--python`, `uv sync`, `npm ci`, `git submodule update --init --recursive`).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smallcoder.agent.events import TestRun
from smallcoder.workspace.environment import Environment, EnvironmentProblem, Environments
from smallcoder.workspace.environment_other import node_package_manager
from smallcoder.workspace.environment_tools import missing_tool_hint
from smallcoder.workspace.provision import Missing, Provisioned, provision_worktree
from smallcoder.workspace.testcmd import detect_test_command
from smallcoder.workspace.testselect import is_pytest

# "ModuleNotFoundError: No module named 'x'" from an import; "/path/python: No module named pytest" from `-m`.
NO_MODULE = re.compile(r"(?:Error|python[\d.]*): No module named '?([A-Za-z_][\w.]*)'?")
NODE_NO_MODULE = re.compile(r"Cannot find module '([^'./][^']*)'")
NOT_FOUND = re.compile(r"(?:^|\n)(?:sh|bash)(?:: line \d+|: \d+)?: ([\w.-]+): (?:command )?not found")
NODE_INSTALL = {"npm": "npm ci", "pnpm": "pnpm install --frozen-lockfile", "yarn": "yarn install --frozen-lockfile",
                "bun": "bun install --frozen-lockfile"}


@dataclass
class Prepared:
    """The run's environments, what was provisioned into its worktree, and its test command."""

    root: Path
    worktree: Path
    environments: Environments
    provisioned: Provisioned
    test_command: str | None

    @property
    def run_env(self) -> dict[str, str]:
        return self.environments.run_env(self.worktree)

    @property
    def read_only(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.environments.read_only, *self.provisioned.read_only]))

    def describe(self) -> str:
        return self.environments.describe()

    def record(self) -> dict[str, Any]:
        """The `environment` entry of the run's extra data."""
        out: dict[str, Any] = {"used": self.environments.record(), "test_command": self.test_command}
        if self.provisioned.record():
            out["worktree"] = self.provisioned.record()
        return out


def prepare_worktree(envs: Environments, root: Path, worktree: Path, test_command: str | None) -> Prepared:
    """Provision the worktree and choose the test command (the user's, else detected with the env's python)."""
    provisioned = provision_worktree(root, worktree, envs.provision)
    for env in envs.items:
        if env.language == "node" and "node_modules" in env.provision and _needs_node_modules(root):
            manager, lock = node_package_manager(root)
            fix = NODE_INSTALL[manager] if lock else "npm install"
            provisioned.missing.append(Missing("node_modules", "dependencies", fix))
    python = envs.python.executable if envs.python else None
    command = test_command or detect_test_command(worktree, python=python)
    if command and not test_command and is_pytest(command):
        # A submodule is another project: its tests need its own environment (and its maintainers run them).
        command += "".join(f" --ignore={shlex.quote(p)}" for p in provisioned.submodules if "/" not in p)
    return Prepared(root, worktree, envs, provisioned, command)


def _needs_node_modules(root: Path) -> bool:
    if (root / "node_modules").is_dir():
        return False
    try:
        data = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and bool(data.get("dependencies") or data.get("devDependencies"))


def run_preflight(prep: Prepared, run_tests: Callable[[str], TestRun]) -> TestRun | None:
    """Stop on a missing submodule or dependency folder; run the tests once ("before"); stop if they cannot run."""
    if prep.provisioned.missing:
        raise EnvironmentProblem(prep.provisioned.missing[0].message(prep.root))
    if not prep.test_command:
        return None
    before = run_tests("before")
    problem = cannot_run(prep, before)
    if problem:
        raise EnvironmentProblem(problem)
    return before


def cannot_run(prep: Prepared, test: TestRun) -> str | None:
    """Why this test run says nothing about the code (a message naming the fix), or None when it does."""
    if test.passed:
        return None
    out = test.output
    primary = prep.environments.primary
    python = prep.environments.python
    missing_cmd = NOT_FOUND.search(out)
    if test.exit_code in (126, 127) and missing_cmd:
        tool = missing_cmd.group(1)
        if primary is not None and primary.language == "node":
            return (f"the test command cannot start: `{tool}` is not found — install the dependencies with "
                    f"`{_node_fix(prep.root)}` in {prep.root}")
        return f"the test command cannot start: `{tool}` is not found — install it, or pass --test-cmd"
    if python is not None:
        for name in NO_MODULE.findall(out):
            top = name.split(".")[0]
            if top == "pytest" and "-m pytest" in (prep.test_command or ""):
                return (f"pytest is not installed in the environment {python.prefix} — run "
                        f"`{python.executable} -m pip install pytest`, or pass --python")
            if not _is_own_module(prep, top):
                return _python_missing(prep, python, top)
    for name in NODE_NO_MODULE.findall(out):
        top = name.split("/")[0] if not name.startswith("@") else "/".join(name.split("/")[:2])
        if not (prep.worktree / "node_modules" / top).exists():
            return (f"the tests cannot load the package '{top}' — install the dependencies with "
                    f"`{_node_fix(prep.root)}` in {prep.root}")
    return None


def _is_own_module(prep: Prepared, top: str) -> bool:
    """Does the worktree itself hold the top-level module `top` (so an import error there is the model's to fix)?"""
    python = prep.environments.python
    roots = [prep.worktree / rel for rel in (python.source_dirs if python else ())] + [prep.worktree]
    return any((r / top).is_dir() or (r / f"{top}.py").is_file() for r in roots)


def _python_missing(prep: Prepared, python: Environment, module: str) -> str:
    if python.kind == "smallcoder":
        hint = missing_tool_hint(prep.root) or "python -m venv .venv && .venv/bin/pip install -e ."
        return (f"no environment found for this project: its tests cannot import '{module}' — create one in "
                f"{prep.root} (`{hint}`), or pass --python PATH")
    hint = missing_tool_hint(prep.root) or f"{python.executable} -m pip install -e ."
    return (f"the environment {python.prefix} ({python.source}) lacks '{module}', which the tests import — "
            f"run `{hint}` in {prep.root}, or pass --python PATH")


def _node_fix(root: Path) -> str:
    manager, lock = node_package_manager(root)
    return NODE_INSTALL[manager] if lock else "npm install"
