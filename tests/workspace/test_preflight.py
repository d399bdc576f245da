"""Preflight: test runs that say nothing about the code stop the run, naming the fix; real failures do not.

The test runs are real (real interpreters, real venvs, real shells); only the verdict is under test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from smallcoder.agent.events import TestRun as Ran
from smallcoder.session.preflight import cannot_run, prepare_worktree, run_preflight
from smallcoder.workspace.environment import EnvironmentProblem, EnvironmentRequest
from smallcoder.workspace.find_env import find_environment
from smallcoder.workspace.runner import run_command

from .conftest import git


@pytest.fixture(autouse=True)
def no_active_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV"):
        monkeypatch.delenv(var, raising=False)


def make_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


def ran_tests(root: Path, command: str, env: dict[str, str] | None = None) -> Ran:
    # The plugins installed with smallcoder take seconds to load and say nothing here.
    res = run_command(command, root, timeout=60, env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **(env or {})})
    return Ran(res.command, res.ok, res.exit_code, res.output, res.duration_s, res.timed_out)


def prepared(root: Path, request: EnvironmentRequest | None = None, command: str | None = None):
    return prepare_worktree(find_environment(root, request), root, root, command)


def test_a_dependency_no_environment_has_names_the_missing_module_and_the_fix(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"pyproject.toml": "[project]\nname='p'\nversion='0'\n[tool.pytest.ini_options]\n",
                           "p.py": "import requests_not_installed_here\n",
                           "test_p.py": "import p\n\ndef test_p():\n    assert p\n"})
    prep = prepared(root)
    assert prep.environments.python.kind == "smallcoder"  # type: ignore[union-attr]
    message = cannot_run(prep, ran_tests(root, prep.test_command))  # type: ignore[arg-type]
    assert message is not None and "\n" not in message
    assert "requests_not_installed_here" in message and "no environment found" in message and "--python" in message


def test_an_import_error_in_the_projects_own_code_is_the_models_to_fix(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"pkg/__init__.py": "from pkg.utlis import helper\n", "pkg/utils.py": "helper = 1\n",
                           "test_pkg.py": "import pkg\n\ndef test_pkg():\n    assert pkg.helper == 1\n",
                           "pytest.ini": ""})
    prep = prepared(root)
    test = ran_tests(root, prep.test_command)  # type: ignore[arg-type]
    assert not test.passed and "No module named 'pkg.utlis'" in test.output
    assert cannot_run(prep, test) is None
    assert cannot_run(prep, ran_tests(root, "exit 1")) is None  # a plain failure is what runs are for


def test_a_venv_without_pytest_says_how_to_install_it(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"pytest.ini": "", "test_a.py": "def test_a():\n    assert False\n"})
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")], check=True)
    python = str(tmp_path / "env" / "bin" / "python")
    prep = prepared(root, EnvironmentRequest(python=python), command=f"{python} -m pytest -q")
    message = cannot_run(prep, ran_tests(root, prep.test_command))  # type: ignore[arg-type]
    assert message is not None and "pytest is not installed" in message and f"{python} -m pip install pytest" in message


def test_node_tests_that_cannot_start_name_the_package_managers_install(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"package.json": '{"scripts": {"test": "jest"}, "devDependencies": {"jest": "29"}}',
                           "yarn.lock": ""})
    prep = prepared(root)
    assert [m.fix for m in prep.provisioned.missing] == ["yarn install --frozen-lockfile"]
    with pytest.raises(EnvironmentProblem, match="node_modules is missing .* `yarn install --frozen-lockfile`"):
        run_preflight(prep, lambda phase: ran_tests(root, "true"))
    test = ran_tests(root, "sh -c 'jest_not_installed_here'")
    message = cannot_run(prep, test)
    assert message is not None and "jest_not_installed_here" in message and "yarn install" in message


def test_preflight_runs_the_tests_once_and_passes_a_real_failure_on(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"pytest.ini": "", "test_a.py": "def test_a():\n    assert 1 == 2\n"})
    prep = prepared(root)
    phases: list[str] = []

    def run_tests(phase: str) -> Ran:
        phases.append(phase)
        return ran_tests(root, prep.test_command)  # type: ignore[arg-type]

    before = run_preflight(prep, run_tests)
    assert phases == ["before"] and before is not None and not before.passed
    assert prep.record()["used"][0]["kind"] == "smallcoder"
