"""Finding and checking a Python project's environment (the order is in environment.py's docstring).

An interpreter is always asked about itself (version, prefixes, site-packages, pytest) rather than guessed from
paths: a venv's `python` may be a link into a uv- or pyenv-managed install the sandbox must also show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from smallcoder.workspace.environment import Environment, EnvironmentProblem, EnvironmentRequest
from smallcoder.workspace.environment_editable import editable_source_dirs
from smallcoder.workspace.environment_tools import tool_environment

PROBE_TIMEOUT_S = 30
PYTHON_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "Pipfile", "tox.ini",
                  "noxfile.py", "pytest.ini", "conftest.py")
# Asked of the interpreter itself; printed as one JSON line.
PROBE = (
    "import json, site, sys, importlib.util as u\n"
    "sp = site.getsitepackages() if hasattr(site, 'getsitepackages') else []\n"
    "print(json.dumps({'version': sys.version.split()[0], 'prefix': sys.prefix, 'base_prefix': sys.base_prefix,"
    " 'executable': sys.executable, 'site': sp, 'pytest': u.find_spec('pytest') is not None}))\n"
)


def is_python_project(repo: Path) -> bool:
    """Python packaging or test configuration at the repository's root."""
    return any((repo / name).exists() for name in PYTHON_MARKERS)


def bin_dir(prefix: Path) -> Path:
    return prefix / ("Scripts" if os.name == "nt" else "bin")


def env_python(prefix: Path) -> Path | None:
    """The interpreter of a virtualenv or conda environment rooted at `prefix`, if there is one."""
    for name in ("python", "python3", "python.exe"):
        candidate = bin_dir(prefix) / name
        if candidate.exists():
            return candidate
    return None


def find_python(repo: Path, request: EnvironmentRequest) -> Environment:
    """The Python environment the project's tests need (see environment.py for the order)."""
    if request.python or request.env:
        return _requested(repo, request)
    active = _activated(repo)
    if active is not None:
        return active
    for name in (".venv", "venv"):
        prefix = repo / name
        if (prefix / "pyvenv.cfg").is_file():
            kind = "uv" if (repo / "uv.lock").is_file() else "venv"
            what = "uv project .venv" if kind == "uv" else f"repository {name}"
            return describe_python(repo, env_python(prefix) or prefix / "bin" / "python", kind, what)
    from_tool = tool_environment(repo)
    if from_tool is not None:
        kind, source, python = from_tool
        return describe_python(repo, python, kind, source)
    return describe_python(repo, Path(sys.executable), "smallcoder",
                           "nothing else: smallcoder's own interpreter (no project environment found)")


def _requested(repo: Path, request: EnvironmentRequest) -> Environment:
    flag = "--python" if request.python else "--env"
    where = flag if request.origin == "flag" else f"config `{flag[2:]}`"
    raw = Path(os.path.expanduser(request.python or request.env or ""))
    path = raw if raw.is_absolute() else (repo / raw if (repo / raw).exists() else Path.cwd() / raw)
    if request.env or path.is_dir():
        python = env_python(path)
        if python is None:
            raise EnvironmentProblem(f"{where} {raw}: no bin/python in it — pass a virtualenv or conda environment "
                                     "directory, or an interpreter with --python")
    else:
        python = path
        if not python.exists():
            raise EnvironmentProblem(f"{where} {raw}: no such interpreter — pass the path of the project's python "
                                     "(e.g. .venv/bin/python)")
    return describe_python(repo, python, "explicit", where)


def _activated(repo: Path) -> Environment | None:
    """An activated virtualenv or (non-base) conda env — unless it is smallcoder's own and the repo has its own."""
    venv = os.environ.get("VIRTUAL_ENV")
    python = env_python(Path(venv)) if venv else None
    if venv and python is not None:
        own = Path(venv).resolve() == Path(sys.prefix).resolve()
        if not (own and _repo_has_env(repo)):
            return describe_python(repo, python, "virtualenv", "VIRTUAL_ENV (activated)")
    conda = os.environ.get("CONDA_PREFIX")
    name = os.environ.get("CONDA_DEFAULT_ENV", "base")
    python = env_python(Path(conda)) if conda else None
    if python is not None and name != "base":
        return describe_python(repo, python, "conda", f"CONDA_PREFIX (conda env {name})")
    return None


def _repo_has_env(repo: Path) -> bool:
    return any((repo / n / "pyvenv.cfg").is_file() for n in (".venv", "venv")) or tool_environment(repo) is not None


def probe_python(python: Path) -> dict[str, object]:
    """Ask the interpreter about itself. Raises EnvironmentProblem when it does not start or answer."""
    try:
        proc = subprocess.run([str(python), "-I", "-c", PROBE], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise EnvironmentProblem(f"the interpreter {python} does not start ({e}) — recreate the environment "
                                 "(`uv sync`, `python -m venv --clear .venv`) or pass --python") from e
    try:
        facts = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None
    except (json.JSONDecodeError, IndexError):
        facts = None
    if not isinstance(facts, dict):
        detail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        raise EnvironmentProblem(f"the interpreter {python} is broken ({detail}) — recreate the environment "
                                 "(`uv sync`, `python -m venv --clear .venv`) or pass --python")
    return facts


def describe_python(repo: Path, python: Path, kind: str, source: str) -> Environment:
    """An Environment for `python`, after asking it about itself."""
    facts = probe_python(python)
    prefix = Path(str(facts["prefix"]))
    base = Path(str(facts["base_prefix"]))
    raw_site = facts.get("site")
    site_dirs = [Path(str(p)) for p in raw_site] if isinstance(raw_site, list) else []
    shown = [prefix, base, Path(str(facts["executable"])).resolve().parent]
    sources, extra_shown = editable_source_dirs(repo, site_dirs)
    notes = []
    if not sources:
        sources = _layout_dirs(repo)
    else:
        notes.append("editable install of the repository: imported from the run's worktree instead")
    variables: list[tuple[str, str]] = []
    path_dirs: tuple[str, ...] = ()
    if kind != "smallcoder":  # smallcoder's own interpreter is a fallback, not the project's environment
        variables.append(("VIRTUAL_ENV", str(prefix)))
        path_dirs = (str(bin_dir(prefix)),)
    return Environment(
        language="python", kind=kind, source=source, executable=str(python), prefix=str(prefix),
        version=str(facts["version"]), source_dirs=tuple(sources), variables=tuple(variables),
        path_dirs=path_dirs, read_only=tuple(dict.fromkeys(str(p) for p in [*shown, *extra_shown])),
        notes=tuple(notes), has_pytest=bool(facts.get("pytest")),
    )


def _layout_dirs(repo: Path) -> list[str]:
    """Without an editable install: `src/` when the project uses that layout, and the root (flat layout)."""
    return ["src", "."] if (repo / "src").is_dir() else ["."]
