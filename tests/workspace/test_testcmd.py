from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from smallcoder.workspace.testcmd import detect_test_command

PYTEST = f"{shlex.quote(sys.executable)} -m pytest -q"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


@pytest.mark.parametrize(
    "files",
    [
        {"pytest.ini": "[pytest]\n"},
        {"conftest.py": ""},
        {"pyproject.toml": "[project]\nname='x'\n\n[tool.pytest.ini_options]\naddopts='-q'\n"},
        {"setup.cfg": "[metadata]\nname = x\n\n[tool:pytest]\ntestpaths = tests\n"},
        {"tox.ini": "[tox]\nenvlist = py311\n"},
        {"tests/test_thing.py": "def test_x(): pass\n"},
        {"pkg/sub/thing_test.py": "def test_x(): pass\n"},
    ],
    ids=["pytest.ini", "conftest", "pyproject", "setup.cfg", "tox.ini", "test_files", "suffix_test_files"],
)
def test_python_projects_use_pytest(tmp_path: Path, files: dict[str, str]) -> None:
    assert detect_test_command(_write(tmp_path, files)) == PYTEST


def test_pytest_missing_falls_back_to_unittest(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    repo = _write(tmp_path / "repo", {"tests/test_x.py": ""})
    assert detect_test_command(repo, python=python) == f"{shlex.quote(python)} -m unittest discover -v"


def test_python_path_is_quoted(tmp_path: Path) -> None:
    odd = tmp_path / "dir with space"
    odd.mkdir()
    link = odd / "python"
    link.symlink_to(sys.executable)
    command = detect_test_command(_write(tmp_path / "repo", {"pytest.ini": ""}), python=str(link))
    assert command == f"'{link}' -m pytest -q"
    assert shlex.split(command)[0] == str(link)


def test_npm(tmp_path: Path) -> None:
    pkg = {"name": "x", "scripts": {"test": "jest"}}
    assert detect_test_command(_write(tmp_path, {"package.json": json.dumps(pkg)})) == "npm test"


def test_npm_init_placeholder_is_not_a_test_command(tmp_path: Path) -> None:
    pkg = {"name": "x", "scripts": {"test": 'echo "Error: no test specified" && exit 1'}}
    assert detect_test_command(_write(tmp_path, {"package.json": json.dumps(pkg)})) is None


def test_npm_placeholder_with_python_tests_falls_through(tmp_path: Path) -> None:
    pkg = {"scripts": {"test": 'echo "Error: no test specified" && exit 1'}}
    root = _write(tmp_path, {"package.json": json.dumps(pkg), "tools/test_build.py": ""})
    assert detect_test_command(root) == PYTEST


def test_broken_package_json_is_ignored(tmp_path: Path) -> None:
    assert detect_test_command(_write(tmp_path, {"package.json": "{not json"})) is None


def test_cargo_go(tmp_path: Path) -> None:
    assert detect_test_command(_write(tmp_path / "rs", {"Cargo.toml": "[package]\nname='x'\n"})) == "cargo test"
    assert detect_test_command(_write(tmp_path / "go", {"go.mod": "module x\n"})) == "go test ./..."


@pytest.mark.parametrize(
    ("makefile", "expected"),
    [
        ("all:\n\tcc x.c\n\ntest: all\n\t./run-tests\n", "make test"),
        (".PHONY: lint test\nlint test:\n\techo\n", "make test"),
        ("test::\n\techo\n", "make test"),
        ("all:\n\tcc x.c\n", None),
        ("test := value\nTESTS = a\n", None),
        ("testing:\n\techo\n", None),
    ],
)
def test_makefile(tmp_path: Path, makefile: str, expected: str | None) -> None:
    assert detect_test_command(_write(tmp_path, {"Makefile": makefile})) == expected


def test_nothing_found(tmp_path: Path) -> None:
    assert detect_test_command(_write(tmp_path, {"README.md": "hi", "main.py": "print(1)"})) is None


def test_test_files_in_virtualenvs_and_node_modules_do_not_count(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "node_modules/x/test_x.py": "",
            ".venv/lib/test_y.py": "",
            "myenv/pyvenv.cfg": "",
            "myenv/lib/site/test_z.py": "",
        },
    )
    assert detect_test_command(root) is None


def test_explicit_pytest_config_beats_makefile(tmp_path: Path) -> None:
    root = _write(tmp_path, {"Makefile": "test:\n\tpytest\n", "pyproject.toml": "[tool.pytest.ini_options]\n"})
    assert detect_test_command(root) == PYTEST
