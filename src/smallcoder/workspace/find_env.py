"""Finding a repository's environments: Python first (environment_python.py), then Node, Rust, Go and Java
(environment_other.py). The records themselves are in environment.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.environment import Environment, EnvironmentProblem, EnvironmentRequest, Environments
from smallcoder.workspace.environment_other import other_environments
from smallcoder.workspace.environment_python import find_python, is_python_project
from smallcoder.workspace.git import find_repo_root


def find_environment(repo: Path, request: EnvironmentRequest | None = None) -> Environments:
    """Every environment the repository at `repo` (its root) uses, Python first when it is a Python project.

    Raises EnvironmentProblem when a requested environment is unusable or a found one is broken.
    """
    repo = Path(repo)
    request = request or EnvironmentRequest()
    found: list[Environment] = []
    others = other_environments(repo)
    if request.python or request.env or is_python_project(repo) or not others:
        found.append(find_python(repo, request))
    found += others
    return Environments(found)


def environment_report(path: Path) -> dict[str, Any]:
    """What `smallcoder doctor` shows for the repository at (or above) `path`: the environment a run would use."""
    try:
        root = find_repo_root(path)
    except WorkspaceError:
        root = Path(path).resolve()
    try:
        envs = find_environment(root)
    except EnvironmentProblem as e:
        return {"repo": str(root), "ok": False, "summary": str(e)}
    return {"repo": str(root), "ok": True, "summary": envs.describe(), "used": envs.record()}
