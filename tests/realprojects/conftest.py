"""Real projects as users have them: real virtualenvs with editable installs (pip from PyPI), a uv project,
a Node project with node_modules from the npm registry, a repository with a submodule. Each is fixed by
`smallcoder fix` (the real command, a scripted model making the right edit) with the sandbox on.

Building the environments needs the package registries; a test skips (saying why) when they cannot be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smallcoder.sandbox.bwrap import probe

SMALLCODER = str(Path(sys.executable).with_name("smallcoder"))
IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@localhost"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "realproject: builds real environments from the package registries (slow)")


needs_bwrap = pytest.mark.skipif(not probe().usable, reason=f"bubblewrap is not usable here: {probe().reason}")


def run(argv: list[str], cwd: Path, *, env: dict[str, str] | None = None, timeout: float = 600,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, cwd=cwd, env={**os.environ, **IDENTITY, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc


def install_or_skip(argv: list[str], cwd: Path, what: str, **kw: object) -> None:
    """Run an installer; skip the test when the registry cannot be reached (offline CI)."""
    proc = run(argv, cwd, check=False, **kw)  # type: ignore[arg-type]
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        if any(w in " ".join(tail).lower() for w in ("network", "resolve", "connection", "could not find", "fetch")):
            pytest.skip(f"{what}: registry not reachable ({' '.join(tail)[:200]})")
        raise AssertionError(f"{what} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def commit_all(repo: Path, message: str = "init") -> None:
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "-m", message], repo)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def script(tmp_path: Path, *calls: tuple[str, dict[str, str]]) -> Path:
    """A scripted model: Hermes-style tool calls, one reply each, then submit (twice: the loop may ask again)."""
    def reply(name: str, args: dict[str, str]) -> str:
        return "<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>"
    replies = [reply(n, a) for n, a in calls]
    replies += [reply("submit", {"summary": "fixed"})] * 2
    path = tmp_path / "model.json"
    path.write_text(json.dumps(replies))
    return path


def smallcoder_fix(repo: Path, model: Path, home: Path, *extra: str,
                   env: dict[str, str] | None = None) -> tuple[int, dict[str, object] | None, str]:
    """`smallcoder fix --json` as a user runs it (sandbox on by default); (exit code, result, stderr)."""
    base = {"SMALLCODER_HOME": str(home), "SMALLCODER_CONFIG": str(home / "none.toml")}
    proc = run([SMALLCODER, "fix", "fix the failing test", "--repo", str(repo), "--model", f"scripted:{model}",
                "--json", *extra], repo, env={**base, **(env or {})}, check=False, timeout=300)
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        result = None
    return proc.returncode, result, proc.stderr


def run_record(run_id: str, home: Path) -> dict[str, object]:
    proc = run([SMALLCODER, "runs", "show", run_id, "--json"], home,
               env={"SMALLCODER_HOME": str(home), "SMALLCODER_CONFIG": str(home / "none.toml")})
    return json.loads(proc.stdout)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "sc-home"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def tinydep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dependency the projects import, as a local package (installed, not editable, into each env)."""
    root = tmp_path_factory.mktemp("tinydep")
    return write(root, {
        "pyproject.toml": "[build-system]\nrequires = ['setuptools>=64']\nbuild-backend = 'setuptools.build_meta'\n"
                          "[project]\nname = 'tinydep'\nversion = '1.0'\n",
        "tinydep/__init__.py": "def total(values):\n    return sum(values)\n",
    })


def has(tool: str) -> bool:
    return shutil.which(tool) is not None or Path(sys.executable).with_name(tool).exists()
