"""Which host paths a sandboxed command sees, and how.

The root file system is visible read-only. On top of it:
- hidden (an empty private tmpfs, or /dev/null for a file): homes, /run (sockets
  of docker, ssh-agent, dbus), /tmp and /var/tmp (private instead), /mnt, /media,
  and root-only secrets in /etc;
- read-only again inside hidden places: what the build needs — the Python
  interpreter and virtualenv running smallcoder, the project's virtualenv,
  PATH directories, and paths the user listed;
- read-write: the run's worktree only, at its real path (tracebacks stay true),
  except its `.git` link file, which stays read-only so a command cannot point
  our own later git calls at a repository it made up;
- git's common directory read-only (git status/diff/log work, refs cannot move),
  with its `config` replaced by a copy holding only core/extensions settings
  (remote URLs and http headers often carry tokens).
"""

from __future__ import annotations

import os
import pwd
import site
import sys
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.sandbox.gitdirs import GitDirs

HIDDEN_DIRS = ("/home", "/root", "/run", "/var/run", "/tmp", "/var/tmp", "/mnt", "/media")
HIDDEN_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh")
# Never shown again, even when a toolchain path lies under them.
SECRET_NAMES = {".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".netrc", ".git-credentials",
                ".password-store", ".pypirc", ".npmrc", "gh", "gcloud", ".config"}
# Variables naming a language toolchain's own root: PATH shims there need the whole root (pyenv, rustup, …).
TOOL_ROOT_VARS = ("PYENV_ROOT", "RUSTUP_HOME", "NVM_DIR", "GOROOT", "SDKMAN_DIR", "CONDA_PREFIX", "ASDF_DIR",
                  "VOLTA_HOME")


@dataclass
class MountPlan:
    hide_dirs: list[Path] = field(default_factory=list)  # become an empty tmpfs
    hide_files: list[Path] = field(default_factory=list)  # become /dev/null
    read_only: list[tuple[Path, Path]] = field(default_factory=list)  # (host source, sandbox destination)
    writable: list[Path] = field(default_factory=list)

    def describe(self) -> dict[str, list[str]]:
        return {
            "hidden": [str(p) for p in self.hide_dirs + self.hide_files],
            "read_only": [str(d) for _, d in self.read_only],
            "writable": [str(p) for p in self.writable],
        }


def home_dirs() -> list[Path]:
    """The user's home as $HOME says and as the password database says (they can differ)."""
    homes = []
    for raw in (os.environ.get("HOME"), _passwd_home()):
        if raw and os.path.isabs(raw):
            homes.append(Path(raw))
    return homes


def _passwd_home() -> str | None:
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return None


def toolchain_paths(repo: Path | None) -> list[Path]:
    """Directories a build or test run may need: interpreters, virtualenvs, PATH entries."""
    raw: list[str | None] = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
                             os.environ.get("VIRTUAL_ENV")]
    try:
        raw.append(site.getusersitepackages())
    except AttributeError:  # some embedded interpreters have no user site
        pass
    raw += os.environ.get("PATH", "").split(os.pathsep)
    raw += [os.environ.get(var) for var in TOOL_ROOT_VARS]
    if repo is not None:
        raw += [str(repo / ".venv"), str(repo / "venv")]
    return [Path(p) for p in raw if p and os.path.isabs(p)]


def plan_mounts(worktree: Path, git: GitDirs | None, *, repo: Path | None = None,
                extra_read_only: tuple[str, ...] = (), extra_hidden: tuple[str, ...] = (),
                allow_network: bool = False, read_only_worktree: bool = False) -> MountPlan:
    """read_only_worktree: the worktree too is mounted read-only (chat's `plan` mode: commands may read, not write)."""
    plan = MountPlan()
    hidden = [Path(p) for p in (*HIDDEN_DIRS, *extra_hidden)] + home_dirs()
    for path in _unique(hidden):
        if path.is_dir() and not path.is_symlink():
            plan.hide_dirs.append(path.resolve())
    for path in map(Path, HIDDEN_FILES):
        if path.exists() and not _inside_any(path, plan.hide_dirs):
            (plan.hide_dirs if path.is_dir() else plan.hide_files).append(path)

    shown = [*toolchain_paths(repo), *map(Path, extra_read_only)]
    if allow_network:
        shown.append(Path("/etc/resolv.conf"))  # often a link into /run, which is hidden
    for path in _unique(p.resolve() for p in shown if p.exists()):
        if _inside_any(path, plan.hide_dirs) and _safe_to_show(path, plan.hide_dirs):
            plan.read_only.append((path, path))

    if git is not None:
        plan.read_only.append((git.common_dir, git.common_dir))
        if git.clean_config is not None:
            plan.read_only.append((git.clean_config, git.common_dir / "config"))
    wt = worktree.resolve()
    if read_only_worktree:
        plan.read_only.append((wt, wt))
    else:
        plan.writable.append(wt)
    if (wt / ".git").is_file():
        plan.read_only.append((wt / ".git", wt / ".git"))
    return plan


def _safe_to_show(path: Path, hidden: list[Path]) -> bool:
    """A toolchain path may be shown unless it is a hidden root (or holds one) or lies in a secret place."""
    for root in hidden:
        if path == root or root.is_relative_to(path):
            return False
    return not any(part in SECRET_NAMES for part in path.parts)


def _inside_any(path: Path, roots: list[Path]) -> bool:
    return any(path == r or path.is_relative_to(r) for r in roots)


def _unique(paths: object) -> list[Path]:
    seen: dict[Path, None] = {}
    for p in paths:  # type: ignore[attr-defined]
        seen.setdefault(p, None)
    return list(seen)
