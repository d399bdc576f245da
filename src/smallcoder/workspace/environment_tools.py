"""Environments managed by a project tool, asked through the tool's own command, offline.

Each tool is asked only when the repository says it uses that tool (its lock file or its pyproject table) and
the tool is installed; the command only reports a path, it never creates or syncs anything:

    uv      `uv python find` run in the project (uv.lock, [tool.uv]); UV_PROJECT_ENVIRONMENT is honoured
    poetry  `poetry env info --path`            (poetry.lock, [tool.poetry])
    pdm     `pdm info --python`                 (pdm.lock, [tool.pdm])
    hatch   `hatch env find default`            (hatch.toml, [tool.hatch.envs])
    pipenv  `pipenv --venv`                     (Pipfile)

then tox's and nox's own environment directories (.tox/<env>, .nox/<session>), newest first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

TOOL_TIMEOUT_S = 30
# Keep the tools from reaching the network or asking questions.
OFFLINE = {"UV_OFFLINE": "1", "UV_NO_SYNC": "1", "POETRY_NO_INTERACTION": "1", "PDM_CHECK_UPDATE": "false",
           "PIPENV_NOSPIN": "1", "PIPENV_YES": "1", "PIP_NO_INDEX": "1"}


def _pyproject_tool(repo: Path) -> dict[str, object]:
    try:
        data = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    tool = data.get("tool")
    return tool if isinstance(tool, dict) else {}


def declared_tools(repo: Path) -> list[str]:
    """The environment managers this repository says it uses, in the order they are asked."""
    tool = _pyproject_tool(repo)
    hatch = tool.get("hatch")
    used = {
        "uv": (repo / "uv.lock").is_file() or "uv" in tool,
        "poetry": (repo / "poetry.lock").is_file() or "poetry" in tool,
        "pdm": (repo / "pdm.lock").is_file() or "pdm" in tool,
        "hatch": (repo / "hatch.toml").is_file() or (isinstance(hatch, dict) and "envs" in hatch),
        "pipenv": (repo / "Pipfile").is_file(),
    }
    return [name for name, yes in used.items() if yes]


def _ask(argv: list[str], repo: Path) -> str | None:
    """The last line the tool prints, or None when it is missing, fails or hangs."""
    exe = shutil.which(argv[0])
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, *argv[1:]], cwd=repo, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, env={**os.environ, **OFFLINE}, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = proc.stdout.strip().splitlines()
    return lines[-1].strip() if proc.returncode == 0 and lines else None


def _as_python(answer: str | None, repo: Path) -> Path | None:
    """A tool's answer (an interpreter or an environment directory) as an interpreter path that exists."""
    if not answer:
        return None
    path = Path(answer) if Path(answer).is_absolute() else repo / answer
    if path.is_dir():
        for name in ("bin/python", "bin/python3", "Scripts/python.exe"):
            if (path / name).exists():
                return path / name
        return None
    return path if path.exists() else None


def _uv(repo: Path) -> Path | None:
    custom = os.environ.get("UV_PROJECT_ENVIRONMENT")
    if custom:
        found = _as_python(custom, repo)
        if found:
            return found
    python = _as_python(_ask(["uv", "python", "find"], repo), repo)
    # `uv python find` may answer with a system interpreter; only the project's own environment counts.
    return python if python and (python.parent.parent / "pyvenv.cfg").is_file() else None


ASKERS: dict[str, tuple[Callable[[Path], Path | None], str]] = {
    "uv": (_uv, "`uv python find` (uv project)"),
    "poetry": (lambda r: _as_python(_ask(["poetry", "env", "info", "--path"], r), r), "`poetry env info --path`"),
    "pdm": (lambda r: _as_python(_ask(["pdm", "info", "--python"], r), r), "`pdm info --python`"),
    "hatch": (lambda r: _as_python(_ask(["hatch", "env", "find", "default"], r), r), "`hatch env find default`"),
    "pipenv": (lambda r: _as_python(_ask(["pipenv", "--venv"], r), r), "`pipenv --venv`"),
}


def tool_environment(repo: Path) -> tuple[str, str, Path] | None:
    """(kind, source, interpreter) of the first declared tool's environment that exists, else tox/nox's."""
    for name in declared_tools(repo):
        ask, source = ASKERS[name]
        python = ask(repo)
        if python is not None:
            return name, source, python
    for kind, folder in (("tox", ".tox"), ("nox", ".nox")):
        envs = sorted((p for p in (repo / folder).glob("*/bin/python") if p.exists()),
                      key=lambda p: p.parent.parent.stat().st_mtime, reverse=True)
        if envs:
            return kind, f"{folder}/{envs[0].parent.parent.name} ({kind}'s environment)", envs[0]
    return None


def missing_tool_hint(repo: Path) -> str | None:
    """The command that creates the environment a declared tool would manage (for preflight's message)."""
    hints = {"uv": "uv sync", "poetry": "poetry install", "pdm": "pdm install", "hatch": "hatch env create",
             "pipenv": "pipenv install --dev"}
    for name in declared_tools(repo):
        return hints[name] + ("" if shutil.which(name) else f" (install {name} first)")
    return None
