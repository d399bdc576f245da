"""Finding a repository's test command, so the model never has to guess it.

Checked in order: explicit pytest configuration, package.json (run with the
package manager its lock file names), Cargo.toml, go.mod, Maven and Gradle
builds (offline), a Makefile `test` target, the paths CI passes to pytest
(testcmd_ci.py), and finally Python test files anywhere in the tree
(weakest evidence, so last).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

from smallcoder.workspace.testcmd_ci import ci_test_paths

NPM_PLACEHOLDER = "no test specified"  # what `npm init` puts in scripts.test
# The package manager a lock file belongs to runs the tests (npm would ignore pnpm's or yarn's layout).
NODE_LOCKFILES = (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("bun.lockb", "bun"), ("bun.lock", "bun"))
MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
# A rule line whose targets include `test` (but not an assignment like `test := x`).
MAKE_TEST_RULE = re.compile(r"^(?:[^\s:#=]+[ \t]+)*test(?:[ \t]+[^\s:#=]+)*[ \t]*::?(?!=)", re.MULTILINE)
SKIP_DIRS = {"node_modules", "venv", "env", "site-packages", "__pycache__", "build", "dist", "target", "vendor"}
WALK_MAX_DEPTH = 4
WALK_MAX_FILES = 20_000


def detect_test_command(root: Path, *, python: str | None = None) -> str | None:
    """The shell command that runs this repository's tests, or None when there is no sign of any.

    `python` is the interpreter for Python projects (default: the one running smallcoder).
    """
    root = Path(root)
    py = python or sys.executable
    if _has_pytest_config(root):
        return python_test_command(py)
    npm = _npm_test(root)
    if npm:
        return npm
    if (root / "Cargo.toml").is_file():
        return "cargo test"
    if (root / "go.mod").is_file():
        return "go test ./..."
    if (root / "pom.xml").is_file():
        return "mvn -o -q test"  # offline: the local repository must already hold the dependencies
    if (root / "build.gradle").is_file() or (root / "build.gradle.kts").is_file():
        return ("./gradlew" if (root / "gradlew").is_file() else "gradle") + " --offline test"
    if _has_make_test(root):
        return "make test"
    ci = ci_test_paths(root)
    if ci is not None and _can_import(py, "pytest"):
        return " ".join([f"{shlex.quote(py)} -m pytest -q", *map(shlex.quote, ci)])
    if _has_python_tests(root):
        return python_test_command(py)
    return None


def python_test_command(python: str) -> str:
    """pytest when the interpreter has it (all failures, not just the first), else unittest discovery."""
    quoted = shlex.quote(python)
    if _can_import(python, "pytest"):
        return f"{quoted} -m pytest -q"
    return f"{quoted} -m unittest discover -v"


@functools.lru_cache(maxsize=16)
def _can_import(python: str, module: str) -> bool:
    # Ask the interpreter itself: it may not be the one we run in.
    probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    try:
        proc = subprocess.run([python, "-c", probe], stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _has_pytest_config(root: Path) -> bool:
    if (root / "pytest.ini").is_file() or (root / "conftest.py").is_file() or (root / "tox.ini").is_file():
        return True
    if "[tool:pytest]" in _read(root / "setup.cfg"):
        return True
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        data = tomllib.loads(_read(pyproject))
    except tomllib.TOMLDecodeError:
        return "[tool.pytest" in _read(pyproject)
    tool = data.get("tool")
    return isinstance(tool, dict) and "pytest" in tool


def _npm_test(root: Path) -> str | None:
    path = root / "package.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(_read(path))
    except json.JSONDecodeError:
        return None
    scripts = data.get("scripts") if isinstance(data, dict) else None
    test = scripts.get("test") if isinstance(scripts, dict) else None
    if not isinstance(test, str) or not test.strip() or NPM_PLACEHOLDER in test:
        return None
    for lock, manager in NODE_LOCKFILES:
        if (root / lock).is_file():
            return f"{manager} test"
    return "npm test"


def _has_make_test(root: Path) -> bool:
    return any(MAKE_TEST_RULE.search(_read(root / name)) for name in MAKEFILES if (root / name).is_file())


def _is_python_test(name: str) -> bool:
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _has_python_tests(root: Path) -> bool:
    """Any test_*.py or *_test.py within a few levels, skipping hidden, vendored and virtualenv dirs."""
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if "pyvenv.cfg" in filenames:  # a virtualenv under any name: its packages' tests are not ours
            dirnames[:] = []
            continue
        depth = len(Path(dirpath).relative_to(root).parts)
        dirnames[:] = [] if depth >= WALK_MAX_DEPTH else [
            d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS
        ]
        if any(_is_python_test(name) for name in filenames):
            return True
        seen += len(filenames)
        if seen > WALK_MAX_FILES:
            return False
    return False
