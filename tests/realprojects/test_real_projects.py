"""Real projects, fixed by `smallcoder fix` with the default settings (sandbox on, no --test-cmd).

Each project's bug is one line; the scripted model makes exactly the right edit. Before issue 13, every one
of these ended `error` or `unresolved`: the tests ran with smallcoder's own interpreter, could not import the
project inside the sandbox, imported the user's checkout through the editable install, or lacked node_modules
and the submodule's files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import commit_all, has, install_or_skip, needs_bwrap, run, run_record, script, smallcoder_fix, write

pytestmark = [pytest.mark.realproject, needs_bwrap]

MEAN_BUG = "def mean(values):\n    return total(values) / (len(values) - 1)\n"
MEAN_FIX = ("replace_in_file", {"old": "return total(values) / (len(values) - 1)",
                                "new": "return total(values) / len(values)"})
MEAN_TEST = "from {pkg} import mean\n\n\ndef test_mean():\n    assert mean([2, 4, 6]) == 4\n"


def python_project(root: Path, backend: str, *, src_layout: bool) -> Path:
    """A package `statlib` depending on `tinydep`, built by `backend` (setuptools or hatchling)."""
    build = {"setuptools": "requires = ['setuptools>=64']\nbuild-backend = 'setuptools.build_meta'\n",
             "hatchling": "requires = ['hatchling>=1.18']\nbuild-backend = 'hatchling.build'\n"}[backend]
    pkg_dir = "src/statlib" if src_layout else "statlib"
    extra = "[tool.hatch.build.targets.wheel]\npackages = ['statlib']\n" if backend == "hatchling" and not src_layout else ""
    write(root, {
        "pyproject.toml": f"[build-system]\n{build}[project]\nname = 'statlib'\nversion = '0.1'\n"
                          f"dependencies = ['tinydep']\n{extra}[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
        f"{pkg_dir}/__init__.py": "from tinydep import total\n\n\n" + MEAN_BUG,
        "tests/test_mean.py": MEAN_TEST.format(pkg="statlib"),
        ".gitignore": ".venv/\n__pycache__/\n*.egg-info/\n",
    })
    run(["git", "init", "-q", "-b", "main"], root)
    commit_all(root)
    return root


def make_venv(prefix: Path, project: Path, tinydep: Path) -> None:
    """A real venv with the project installed editable (PEP 660, through its own build backend).

    uv's pip when it is there (seconds, cached builds), else pip (a minute, PyPI each time).
    """
    if has("uv"):
        uv = "uv" if has_on_path("uv") else str(Path(sys.executable).with_name("uv"))
        run([uv, "venv", "-q", "--python", sys.executable, str(prefix)], project)
        pip = [uv, "pip", "install", "-q", "--python", str(prefix / "bin" / "python")]
    else:
        run([sys.executable, "-m", "venv", str(prefix)], project)
        pip = [str(prefix / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    install_or_skip([*pip, str(tinydep), "pytest", "-e", str(project)], project, "install -e")


def assert_resolved(code: int, result: dict | None, stderr: str, home: Path, kind: str,
                    isolation: str = "bwrap") -> dict:
    assert result is not None, stderr
    assert (code, result["status"]) == (0, "resolved"), (result.get("reason"), stderr[-2000:])
    record = run_record(str(result["run_id"]), home)
    extra = record["run"]["extra"] if "run" in record else record["extra"]  # type: ignore[index]
    assert extra["isolation"]["kind"] == isolation  # type: ignore[index]
    used = extra["environment"]["used"][0]  # type: ignore[index]
    assert used["kind"] == kind, used
    return extra  # type: ignore[return-value]


def test_src_layout_setuptools_editable_in_repository_venv(tmp_path: Path, home: Path, tinydep: Path) -> None:
    repo = python_project(tmp_path / "statlib", "setuptools", src_layout=True)
    make_venv(repo / ".venv", repo, tinydep)
    model = script(tmp_path, (MEAN_FIX[0], {"path": "src/statlib/__init__.py", **MEAN_FIX[1]}))
    code, result, err = smallcoder_fix(repo, model, home)
    extra = assert_resolved(code, result, err, home, "venv")
    assert extra["environment"]["used"][0]["source_dirs"] == ["src"]  # from the editable install's .pth
    assert "(len(values) - 1)" in (repo / "src" / "statlib" / "__init__.py").read_text()  # user's tree untouched
    # Without the sandbox the user's checkout is visible, and the editable install points at it (still buggy):
    # only a worktree that comes first on the import path lets the fix show.
    code, result, err = smallcoder_fix(repo, model, home, "--no-sandbox")
    assert_resolved(code, result, err, home, "venv", isolation="none")


def test_flat_layout_hatchling_editable_in_an_activated_venv_outside_the_repo(tmp_path: Path, home: Path,
                                                                               tinydep: Path) -> None:
    repo = python_project(tmp_path / "statlib", "hatchling", src_layout=False)
    venv = tmp_path / "envs" / "statlib"
    make_venv(venv, repo, tinydep)
    model = script(tmp_path, (MEAN_FIX[0], {"path": "statlib/__init__.py", **MEAN_FIX[1]}))
    code, result, err = smallcoder_fix(repo, model, home, env={"VIRTUAL_ENV": str(venv)})
    assert_resolved(code, result, err, home, "virtualenv")


@pytest.mark.skipif(not has("uv"), reason="uv is not installed (pip install uv)")
def test_uv_managed_project(tmp_path: Path, home: Path, tinydep: Path) -> None:
    repo = python_project(tmp_path / "statlib", "hatchling", src_layout=True)
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + f"[tool.uv.sources]\ntinydep = {{ path = '{tinydep}' }}\n"
                         "[dependency-groups]\ndev = ['pytest']\n")
    uv = str(Path(sys.executable).with_name("uv")) if not has_on_path("uv") else "uv"
    install_or_skip([uv, "sync", "-q", "--python", sys.executable], repo, "uv sync")
    commit_all(repo, "lock")
    model = script(tmp_path, (MEAN_FIX[0], {"path": "src/statlib/__init__.py", **MEAN_FIX[1]}))
    code, result, err = smallcoder_fix(repo, model, home)
    assert_resolved(code, result, err, home, "uv")


def has_on_path(tool: str) -> bool:
    import shutil

    return shutil.which(tool) is not None


@pytest.mark.skipif(not (has_on_path("node") and has_on_path("npm")), reason="node and npm are not installed")
def test_node_project_with_node_modules_from_the_registry(tmp_path: Path, home: Path) -> None:
    repo = write(tmp_path / "web", {
        "package.json": '{"name": "web", "version": "1.0.0", "private": true,\n'
                        ' "scripts": {"test": "node --test"},\n "dependencies": {"is-number": "7.0.0"}}\n',
        "count.js": "const isNumber = require('is-number');\n"
                    "exports.countNumbers = (xs) => xs.filter(isNumber).length - 1;\n",
        "test/count.test.js": "const test = require('node:test');\nconst assert = require('node:assert');\n"
                              "const { countNumbers } = require('../count');\n"
                              "test('counts', () => assert.strictEqual(countNumbers([1, 'a', '2']), 2));\n",
        ".gitignore": "node_modules/\n",
    })
    install_or_skip(["npm", "install", "--no-audit", "--no-fund", "--silent"], repo, "npm install")
    run(["git", "init", "-q", "-b", "main"], repo)
    commit_all(repo)
    model = script(tmp_path, ("replace_in_file", {"path": "count.js", "old": ".length - 1;", "new": ".length;"}))
    code, result, err = smallcoder_fix(repo, model, home)
    assert_resolved(code, result, err, home, "npm")


def test_repository_with_a_submodule(tmp_path: Path, home: Path) -> None:
    """The field report's case (2026-11-30/submodule-worktree.sh): a helper library vendored as a submodule."""
    lib = write(tmp_path / "mathlib", {"__init__.py": "", "core.py": "def total(values):\n    return sum(values)\n"})
    run(["git", "init", "-q"], lib)
    commit_all(lib, "lib")
    repo = write(tmp_path / "repo", {"vendor/__init__.py": "",
                                     "stats.py": "from vendor.mathlib.core import total\n\n\n" + MEAN_BUG,
                                     "test_stats.py": MEAN_TEST.format(pkg="stats")})
    run(["git", "init", "-q", "-b", "main"], repo)
    run(["git", "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/mathlib"], repo)
    commit_all(repo)
    model = script(tmp_path, (MEAN_FIX[0], {"path": "stats.py", **MEAN_FIX[1]}))
    code, result, err = smallcoder_fix(repo, model, home)
    extra = assert_resolved(code, result, err, home, "smallcoder")
    assert extra["environment"]["worktree"]["submodules"] == ["vendor/mathlib"]


def test_missing_dependency_stops_before_the_model_naming_the_fix(tmp_path: Path, home: Path) -> None:
    """No environment anywhere, and the tests import a dependency smallcoder's interpreter lacks."""
    repo = write(tmp_path / "proj", {
        "pyproject.toml": "[project]\nname = 'p'\nversion = '0'\ndependencies = ['tinydep_absent']\n"
                          "[tool.pytest.ini_options]\n",
        "p.py": "import tinydep_absent\n",
        "test_p.py": "import p\n\n\ndef test_p():\n    assert p\n",
    })
    run(["git", "init", "-q", "-b", "main"], repo)
    commit_all(repo)
    model = tmp_path / "model.json"
    model.write_text("[]")  # a model call would fail the run differently: this one must never be made
    message = stopped_before_the_model(*smallcoder_fix(repo, model, home))
    assert "tinydep_absent" in message and "--python" in message


def test_missing_submodule_stops_before_the_model_naming_the_fix(tmp_path: Path, home: Path) -> None:
    lib = write(tmp_path / "mathlib", {"core.py": "X = 1\n"})
    run(["git", "init", "-q"], lib)
    commit_all(lib, "lib")
    repo = write(tmp_path / "repo", {"test_x.py": "def test_x():\n    assert True\n"})
    run(["git", "init", "-q", "-b", "main"], repo)
    run(["git", "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/mathlib"], repo)
    commit_all(repo)
    run(["git", "submodule", "deinit", "-q", "--all"], repo)
    model = tmp_path / "model.json"
    model.write_text("[]")
    message = stopped_before_the_model(*smallcoder_fix(repo, model, home))
    assert "vendor/mathlib" in message and "git submodule update --init --recursive" in message


def stopped_before_the_model(code: int, result: dict | None, err: str) -> str:
    """The run failed with one line (a one-line error, or the error result of --json), no model call made."""
    assert code != 0, err
    if result is None:
        lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
        assert len(lines) == 1, err
        return lines[0]
    assert result["status"] == "error" and result["model_calls"] == 0, result
    assert "\n" not in result["reason"]
    return str(result["reason"])
