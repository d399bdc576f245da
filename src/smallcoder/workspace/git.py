"""Calling git: one helper that turns failures into WorkspaceError, identity fallbacks, and repo discovery."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

from smallcoder.errors import WorkspaceError

# Inherited from a hook or a wrapper, these would point our git calls at another repository or index.
SCRUBBED_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)
# Our own checkouts and commits must not run the user's hooks or stop for a GPG passphrase.
INTERNAL_CONFIG = ("-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false")
FALLBACK_NAME = "smallcoder"
FALLBACK_EMAIL = "smallcoder@localhost"


def git_executable() -> str:
    exe = shutil.which("git")
    if exe is None:
        raise WorkspaceError("git is not installed or not on PATH — install git and try again")
    return exe


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"  # messages we match on must be in English
    if extra:
        env.update(extra)
    return env


def git(
    args: Sequence[str],
    cwd: Path,
    *,
    config: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
    ok_codes: Sequence[int] = (0,),
) -> subprocess.CompletedProcess[bytes]:
    """Run `git [config] args` in `cwd`; raise WorkspaceError with git's stderr unless the exit code is in ok_codes."""
    argv = [git_executable(), *config, *args]
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=git_env(env),
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise WorkspaceError(f"cannot run git in {cwd}: {exc.strerror or exc}") from exc
    if proc.returncode not in ok_codes:
        what = " ".join(a for a in args[:2] if not a.startswith("-"))
        detail = proc.stderr.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
        raise WorkspaceError(f"`git {what}` failed in {cwd}: {detail}")
    return proc


def git_out(
    args: Sequence[str], cwd: Path, *, config: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> str:
    """stdout of a git command, decoded and stripped."""
    return git(args, cwd, config=config, env=env).stdout.decode("utf-8", "surrogateescape").strip()


def identity_config(repo: Path) -> list[str]:
    """`-c user.name=… -c user.email=…` for whichever of them neither config nor environment provides."""
    flags: list[str] = []
    for key, env_vars, fallback in (
        ("user.name", ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"), FALLBACK_NAME),
        ("user.email", ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"), FALLBACK_EMAIL),
    ):
        if all(os.environ.get(v) for v in env_vars):
            continue
        if git(["config", "--get", key], repo, ok_codes=(0, 1)).returncode != 0:
            flags += ["-c", f"{key}={fallback}"]
    return flags


def commit_config(repo: Path) -> list[str]:
    """Everything an internal `git commit`/`commit-tree` needs to succeed on any machine."""
    return [*INTERNAL_CONFIG, *identity_config(repo)]


def has_commits(root: Path) -> bool:
    return git(["rev-parse", "--verify", "-q", "HEAD^{commit}"], root, ok_codes=(0, 1, 128)).returncode == 0


def find_repo_root(path: Path, *, init: bool = False) -> Path:
    """The top of the git work tree holding `path` (a subdirectory or file is fine).

    With init=True a plain directory becomes a repository, and a repository
    without commits gets an initial commit of its current files.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise WorkspaceError(f"{path} does not exist — check the path")
    path = path.resolve()
    if not path.is_dir():
        path = path.parent
    proc = git(["rev-parse", "--show-toplevel"], path, ok_codes=(0, 128))
    if proc.returncode == 0:
        root = Path(proc.stdout.decode("utf-8", "surrogateescape").strip()).resolve()
    else:
        err = proc.stderr.decode("utf-8", "replace").strip()
        if "not a git repository" not in err:
            raise WorkspaceError(f"cannot use {path} as a git work tree: {err}")
        if not init:
            raise WorkspaceError(f"{path} is not a git repository — run `git init` there, or pass --init")
        git(["init", "-q"], path)
        root = path
    if not has_commits(root):
        if not init:
            raise WorkspaceError(f"{root} has no commits yet — commit your files first, or pass --init")
        _initial_commit(root)
    return root


def _initial_commit(root: Path) -> None:
    git(["add", "-A"], root)
    git(
        ["commit", "-q", "--no-verify", "--allow-empty", "-m", "Initial commit (smallcoder --init)"],
        root,
        config=commit_config(root),
    )
