"""Finding a project's environment: real virtualenvs (made with `python -m venv`), real interpreters, no fakes.

Each environment is made without pip (fast); the editable-install traces are the files the build backends
write (checked against real pip installs in tests/realprojects).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smallcoder.workspace.environment import EnvironmentProblem, EnvironmentRequest
from smallcoder.workspace.find_env import find_environment
from smallcoder.workspace.environment_editable import editable_source_dirs
from smallcoder.workspace.environment_tools import declared_tools, missing_tool_hint
from smallcoder.workspace.testcmd import detect_test_command


@pytest.fixture(autouse=True)
def no_active_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "UV_PROJECT_ENVIRONMENT"):
        monkeypatch.delenv(var, raising=False)


def make_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True)
    return path


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def project(tmp_path: Path, **files: str) -> Path:
    repo = tmp_path / "proj"
    repo.mkdir(parents=True, exist_ok=True)
    files.setdefault("pyproject.toml", "[project]\nname = 'p'\nversion = '0'\n")
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return repo


def test_repository_venv_is_found_and_described(tmp_path: Path) -> None:
    repo = project(tmp_path)
    make_venv(repo / ".venv")
    env = find_environment(repo).python
    assert env is not None and env.kind == "venv" and env.source == "repository .venv"
    assert env.prefix == str(repo / ".venv") and env.version == sys.version.split()[0]
    assert f"venv at {repo / '.venv'}" in env.describe()
    run_env = env.run_env(tmp_path / "wt")
    assert run_env["VIRTUAL_ENV"] == str(repo / ".venv")
    assert run_env["PATH"].startswith(str(repo / ".venv" / "bin") + os.pathsep)
    assert run_env["PYTHONPATH"] == str(tmp_path / "wt")  # flat layout: the worktree's root
    assert str(repo / ".venv") in env.read_only and sys.base_prefix in env.read_only


def test_uv_lock_names_the_venv_a_uv_project(tmp_path: Path) -> None:
    repo = project(tmp_path, **{"uv.lock": "version = 1\n"})
    make_venv(repo / ".venv")
    env = find_environment(repo).python
    assert env is not None and (env.kind, env.source) == ("uv", "uv project .venv")


def test_activated_virtualenv_comes_before_the_repository_venv(tmp_path: Path, monkeypatch) -> None:
    repo = project(tmp_path)
    make_venv(repo / ".venv")
    active = make_venv(tmp_path / "active")
    monkeypatch.setenv("VIRTUAL_ENV", str(active))
    env = find_environment(repo).python
    assert env is not None and env.kind == "virtualenv" and env.prefix == str(active)


def test_non_base_conda_env_is_used_and_base_is_not(tmp_path: Path, monkeypatch) -> None:
    repo = project(tmp_path)
    conda = make_venv(tmp_path / "envs" / "work")
    monkeypatch.setenv("CONDA_PREFIX", str(conda))
    monkeypatch.setenv("CONDA_DEFAULT_ENV", "base")
    assert find_environment(repo).python.kind == "smallcoder"  # type: ignore[union-attr]
    monkeypatch.setenv("CONDA_DEFAULT_ENV", "work")
    env = find_environment(repo).python
    assert env is not None and env.kind == "conda" and "conda env work" in env.source


def test_explicit_python_and_env_win_and_bad_ones_name_the_fix(tmp_path: Path) -> None:
    repo = project(tmp_path)
    make_venv(repo / ".venv")
    other = make_venv(tmp_path / "other")
    by_python = find_environment(repo, EnvironmentRequest(python=str(other / "bin" / "python"))).python
    by_env = find_environment(repo, EnvironmentRequest(env=str(other))).python
    assert by_python.prefix == by_env.prefix == str(other)  # type: ignore[union-attr]
    assert (by_python.source, by_env.source) == ("--python", "--env")  # type: ignore[union-attr]
    with pytest.raises(EnvironmentProblem, match="no such interpreter"):
        find_environment(repo, EnvironmentRequest(python=str(tmp_path / "nope" / "python")))
    with pytest.raises(EnvironmentProblem, match="no bin/python"):
        find_environment(repo, EnvironmentRequest(env=str(tmp_path)))
    with pytest.raises(EnvironmentProblem, match="either --python or --env"):
        EnvironmentRequest(python="a", env="b")


def test_a_broken_environment_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    repo = project(tmp_path)
    venv = make_venv(repo / ".venv")
    python = venv / "bin" / "python"
    python.unlink()  # the base interpreter it linked to was removed (pyenv uninstall, brew upgrade, …)
    python.write_text("#!/bin/sh\necho 'error while loading shared libraries: libpython3.so' >&2\nexit 127\n")
    python.chmod(0o755)
    with pytest.raises(EnvironmentProblem) as info:
        find_environment(repo)
    message = str(info.value)
    assert "\n" not in message and "libpython3.so" in message and "uv sync" in message and "--python" in message


def test_tox_environment_when_nothing_else(tmp_path: Path) -> None:
    repo = project(tmp_path, **{"tox.ini": "[tox]\nenvlist = py3\n"})
    make_venv(repo / ".tox" / "py3")
    env = find_environment(repo).python
    assert env is not None and env.kind == "tox" and ".tox/py3" in env.source


def test_nothing_found_falls_back_to_smallcoders_interpreter_without_touching_path(tmp_path: Path) -> None:
    repo = project(tmp_path, **{"src/pkg/__init__.py": ""})
    env = find_environment(repo).python
    assert env is not None and env.kind == "smallcoder" and env.executable == sys.executable
    run_env = env.run_env(tmp_path / "wt")
    assert "PATH" not in run_env and "VIRTUAL_ENV" not in run_env
    assert run_env["PYTHONPATH"] == f"{tmp_path / 'wt' / 'src'}{os.pathsep}{tmp_path / 'wt'}"


def test_declared_tools_and_the_command_that_creates_their_env(tmp_path: Path) -> None:
    repo = project(tmp_path, **{"pyproject.toml": "[tool.poetry]\nname='p'\n", "Pipfile": ""})
    assert declared_tools(repo) == ["poetry", "pipenv"]
    assert missing_tool_hint(repo).startswith("poetry install")  # type: ignore[union-attr]
    assert declared_tools(project(tmp_path / "b", **{"pdm.lock": ""})) == ["pdm"]
    hatch = project(tmp_path / "c", **{"pyproject.toml": "[tool.hatch.envs.default]\n"})
    assert declared_tools(hatch) == ["hatch"]


def test_editable_traces_of_each_backend_map_to_the_worktree(tmp_path: Path) -> None:
    repo = project(tmp_path, **{"src/pkg/__init__.py": "", "flat/__init__.py": "", "ns/part/mod.py": ""})
    site = site_packages(make_venv(tmp_path / "venv"))
    elsewhere = tmp_path / "sibling" / "src"
    elsewhere.mkdir(parents=True)
    # setuptools (src layout) / hatchling / flit / pdm / poetry: a directory line
    (site / "__editable__.p-0.pth").write_text(f"{repo / 'src'}\n")
    # setuptools' strict finder: an import line and a module with a package → directory mapping
    (site / "__editable__.q-0.pth").write_text("import __editable___q_0_finder; __editable___q_0_finder.install()\n")
    (site / "__editable___q_0_finder.py").write_text(
        f"MAPPING = {{'flat': '{repo / 'flat'}'}}\nNAMESPACES = {{'ns': ['{repo / 'ns'}']}}\n")
    (site / "_sibling.pth").write_text(f"{elsewhere}\n")  # another local project installed editable
    inside, outside = editable_source_dirs(repo, [site])
    assert inside == ["src", "."]
    assert outside == [str(elsewhere)]


def test_editable_install_decides_pythonpath(tmp_path: Path) -> None:
    repo = project(tmp_path, **{"lib/pkg/__init__.py": ""})  # a custom package_dir: neither src/ nor flat
    venv = make_venv(repo / ".venv")
    (site_packages(venv) / "__editable__.p-0.pth").write_text(f"{repo / 'lib'}\n")
    env = find_environment(repo).python
    assert env is not None and env.source_dirs == ("lib",)
    assert env.run_env(tmp_path / "wt")["PYTHONPATH"] == str(tmp_path / "wt" / "lib")


def test_node_project_is_described_by_its_lock_file(tmp_path: Path) -> None:
    repo = tmp_path / "web"
    repo.mkdir()
    (repo / "package.json").write_text('{"scripts": {"test": "node test.js"}}')
    envs = find_environment(repo)
    assert [e.language for e in envs.items] == ["node"]
    assert envs.primary.kind == "npm" and envs.primary.provision == ("node_modules",)  # type: ignore[union-attr]
    assert envs.run_env(None)["npm_config_offline"] == "true"
    (repo / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\n")
    assert find_environment(repo).primary.kind == "pnpm"  # type: ignore[union-attr]
    assert detect_test_command(repo) == "pnpm test"


def test_python_and_node_in_one_repository_python_first(tmp_path: Path) -> None:
    repo = project(tmp_path, **{"package.json": "{}", "Cargo.toml": "[package]\nname='x'\n"})
    envs = find_environment(repo)
    assert [e.language for e in envs.items] == ["python", "node", "rust"]
    rust = envs.items[2]
    assert envs.run_env(None)["CARGO_NET_OFFLINE"] == "true" and rust.kind == "cargo"
    assert [e["language"] for e in envs.record()] == ["python", "node", "rust"]


def test_maven_and_gradle_test_commands_run_offline(tmp_path: Path) -> None:
    mvn = tmp_path / "m"
    mvn.mkdir()
    (mvn / "pom.xml").write_text("<project/>")
    assert detect_test_command(mvn) == "mvn -o -q test"
    gradle = tmp_path / "g"
    gradle.mkdir()
    (gradle / "build.gradle").write_text("")
    (gradle / "gradlew").write_text("")
    assert detect_test_command(gradle) == "./gradlew --offline test"
    assert find_environment(gradle).primary.kind == "gradle"  # type: ignore[union-attr]


def test_flags_win_over_the_config_files_python(tmp_path: Path) -> None:
    from smallcoder.workspace.environment import environment_request

    assert environment_request(None, None, None) is None
    assert environment_request("/a/python", None, "/b") == EnvironmentRequest(python="/a/python")
    assert environment_request(None, "/env", "/b") == EnvironmentRequest(env="/env")
    configured = environment_request(None, None, str(tmp_path / "missing"))
    assert configured == EnvironmentRequest(python=str(tmp_path / "missing"), origin="config")
    with pytest.raises(EnvironmentProblem, match="config `python`"):
        find_environment(project(tmp_path), configured)
    venv = make_venv(tmp_path / "cfg-env")  # the config may name an environment directory as well
    env = find_environment(project(tmp_path), environment_request(None, None, str(venv))).python
    assert env is not None and env.prefix == str(venv) and env.source == "config `python`"


def test_ci_workflows_say_which_paths_pytest_collects(tmp_path: Path) -> None:
    from smallcoder.workspace.testcmd_ci import ci_test_paths

    root = project(tmp_path, **{
        "pkg/tests/test_x.py": "def test_x():\n    assert True\n",
        "vendor/suite/test_other.py": "import missing\n",
        ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: pip install -e . pytest\n"
                                    "      - run: |\n          uv run --frozen pytest --cov=pkg -n auto pkg/tests "
                                    "--junitxml=${{ env.OUT }}\n      - run: uv run pytest -x pkg/tests -q\n",
    })
    assert ci_test_paths(root) == ["pkg/tests"]  # the line with a CI expression is skipped
    assert detect_test_command(root).endswith("-m pytest -q pkg/tests")  # type: ignore[union-attr]
    (root / ".github" / "workflows" / "ci.yml").write_text("steps:\n  - run: python -m pytest\n")
    assert ci_test_paths(root) == []
    (root / ".github" / "workflows" / "ci.yml").write_text("steps:\n  - run: make lint\n")
    assert ci_test_paths(root) is None
