"""The projects of the environments benchmark: real public ones and small real ones built here.

Each project is set up the way its users set it up (`uv sync`, `npm install`, `pip install -e .`,
`git submodule update`), then gets a one-line bug committed; the scripted model's one edit undoes it.
Public projects come from local git mirrors (`--mirrors DIR` holding `owner+name/repo`, as the `fetch`
tool leaves them), since the machine that runs this may have no GitHub access.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "protocol.file.allow=always"]


@dataclass(frozen=True)
class Project:
    """`build(workdir, mirrors) -> repo` makes the user's checkout; `bug` is (path, correct text, buggy text)."""

    name: str
    kind: str  # what it exercises
    build: Callable[[Path, Path], Path]
    bug: tuple[str, str, str]
    task: str
    env: dict[str, str] = field(default_factory=dict)  # the user's shell (an activated venv, …)


def sh(argv: list[str], cwd: Path, timeout: float = 900) -> None:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed in {cwd}:\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")


def uv() -> str:
    return str(Path(sys.executable).with_name("uv"))


def clone(mirrors: Path, slug: str, dest: Path) -> Path:
    sh([*GIT, "clone", "-q", str(mirrors / slug.replace("/", "+") / "repo"), str(dest)], dest.parent)
    return dest


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _flask(work: Path, mirrors: Path) -> Path:
    repo = clone(mirrors, "pallets/flask", work / "flask")
    sh([uv(), "sync", "-q"], repo)
    return repo


def _referencing(work: Path, mirrors: Path) -> Path:
    repo = clone(mirrors, "python-jsonschema/referencing", work / "referencing")
    sh([*GIT, "submodule", "init", "-q"], repo)
    suite = mirrors / "python-jsonschema+referencing-suite" / "repo"
    sh([*GIT, "config", "submodule.suite.url", str(suite)], repo)  # what `clone --recursive` would fetch
    sh([*GIT, "submodule", "update", "-q"], repo)
    python313 = next(Path.home().glob(".pyenv/versions/3.13*/bin/python3.13"), None)
    sh([uv(), "sync", "-q", *(["--python", str(python313)] if python313 else [])], repo)
    return repo


def _is_number(work: Path, mirrors: Path) -> Path:
    repo = clone(mirrors, "jonschlinkert/is-number", work / "is-number")
    sh(["npm", "install", "--no-audit", "--no-fund", "--silent"], repo)
    return repo


STATLIB = {
    "pyproject.toml": "[build-system]\nrequires = ['{req}']\nbuild-backend = '{backend}'\n[project]\n"
                      "name = 'statlib'\nversion = '0.1'\ndependencies = ['tinydep']\n{extra}"
                      "[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
    "tests/test_mean.py": "from statlib import mean\n\n\ndef test_mean():\n    assert mean([2, 4, 6]) == 4\n",
    ".gitignore": ".venv/\n__pycache__/\n*.egg-info/\n",
}
MEAN = "from tinydep import total\n\n\ndef mean(values):\n    return total(values) / len(values)\n"


def _tinydep(work: Path) -> Path:
    return write(work / "tinydep", {
        "pyproject.toml": "[build-system]\nrequires = ['setuptools>=64']\nbuild-backend = 'setuptools.build_meta'\n"
                          "[project]\nname = 'tinydep'\nversion = '1.0'\n",
        "tinydep/__init__.py": "def total(values):\n    return sum(values)\n"})


def _statlib(work: Path, backend: str, src: bool, venv: Path | None) -> Path:
    req, build = {"setuptools": ("setuptools>=64", "setuptools.build_meta"),
                  "hatchling": ("hatchling>=1.18", "hatchling.build")}[backend]
    extra = "[tool.hatch.build.targets.wheel]\npackages = ['statlib']\n" if backend == "hatchling" and not src else ""
    repo = work / f"statlib-{backend}"
    files = {k: v.format(req=req, backend=build, extra=extra) if k == "pyproject.toml" else v
             for k, v in STATLIB.items()}
    write(repo, {**files, ("src/statlib" if src else "statlib") + "/__init__.py": MEAN})
    sh([*GIT, "init", "-q", "-b", "main"], repo)
    sh([*GIT, "add", "-A"], repo)
    sh([*GIT, "commit", "-qm", "init"], repo)
    prefix = venv or repo / ".venv"
    sh([uv(), "venv", "-q", "--python", sys.executable, str(prefix)], repo)
    sh([uv(), "pip", "install", "-q", "--python", str(prefix / "bin" / "python"), str(_tinydep(work)), "pytest",
        "-e", str(repo)], repo)
    return repo


def _submodule(work: Path, mirrors: Path) -> Path:
    """The field report 2026-11-30/submodule-worktree.sh."""
    lib = write(work / "mathlib", {"__init__.py": "", "core.py": "def total(values):\n    return sum(values)\n"})
    sh([*GIT, "init", "-q"], lib)
    sh([*GIT, "add", "-A"], lib)
    sh([*GIT, "commit", "-qm", "lib"], lib)
    repo = write(work / "vendoring", {
        "vendor/__init__.py": "",
        "stats.py": "from vendor.mathlib.core import total\n\n\ndef mean(values):\n    return total(values) / len(values)\n",
        "test_stats.py": "import unittest\nfrom stats import mean\n\nclass T(unittest.TestCase):\n"
                         "    def test_mean(self):\n        self.assertEqual(mean([2, 4, 6]), 4)\n"})
    sh([*GIT, "init", "-q", "-b", "main"], repo)
    sh([*GIT, "submodule", "add", "-q", str(lib), "vendor/mathlib"], repo)
    sh([*GIT, "add", "-A"], repo)
    sh([*GIT, "commit", "-qm", "init"], repo)
    return repo


MEAN_BUG = ("return total(values) / len(values)", "return total(values) / (len(values) - 1)")
PROJECTS = [
    Project("flask", "public · src layout · flit editable · uv .venv", _flask,
            ("src/flask/helpers.py", 'not in {"0", "false", "no"})', 'not in {"0", "false"})'),
            "FLASK_DEBUG=No should turn debug mode off"),
    Project("referencing", "public · submodule (test suite) · hatchling editable · uv .venv · Python 3.13",
            _referencing,
            ("referencing/_core.py", "urldefrag(urljoin(self._base_uri, ref))", "urldefrag(urljoin(ref, self._base_uri))"),
            "relative $refs resolve against the wrong base URI"),
    Project("is-number", "public · Node · node_modules from npm (no lock file)", _is_number,
            ("index.js", "num.trim() !== ''", "num.trim() !== ' '"), "isNumber('  ') should be false"),
    Project("statlib-src-setuptools", "src layout · setuptools editable · repository .venv",
            lambda w, m: _statlib(w, "setuptools", True, None), ("src/statlib/__init__.py", *MEAN_BUG),
            "mean([2,4,6]) should be 4"),
    Project("statlib-flat-hatchling", "flat layout · hatchling editable · activated venv outside the repo",
            lambda w, m: _statlib(w, "hatchling", False, w / "envs" / "statlib"), ("statlib/__init__.py", *MEAN_BUG),
            "mean([2,4,6]) should be 4", env={"VIRTUAL_ENV": "{work}/envs/statlib"}),
    Project("submodule-field-report", "vendored submodule · no environment (stdlib only)", _submodule,
            ("stats.py", *MEAN_BUG), "mean([2,4,6]) should be 4"),
]
