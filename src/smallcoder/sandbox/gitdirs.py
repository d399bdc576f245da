"""The git directories a worktree needs inside the sandbox, and a credential-free copy of git's config.

A worktree's `.git` is a file pointing into the main repository's `.git`
(the common directory: objects, refs, config). Commands in the sandbox see
that directory read-only. Its `config` is swapped for a copy with only the
settings git needs to read the repository: remote URLs and `http.*.extraheader`
(CI checkouts put tokens there) stay outside.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from smallcoder.workspace.git import git_env

# Settings that describe the repository's format; everything else (remotes, credentials, http, hooks) is dropped.
_KEEP_SECTIONS = ("core.", "extensions.")
_DROP_CORE = {"core.fsmonitor", "core.sshcommand", "core.askpass", "core.hookspath", "core.gitproxy",
              "core.editor", "core.pager", "core.worktree"}


@dataclass(frozen=True)
class GitDirs:
    common_dir: Path  # the main repository's .git
    clean_config: Path | None  # the sanitized copy of common_dir/config, bound over it


def find_git_dirs(worktree: Path, scratch: Path) -> GitDirs | None:
    """The worktree's common git directory, with a clean config written under `scratch`; None if not a worktree."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=worktree, env=git_env(), capture_output=True, text=True, check=False, timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    common = Path(proc.stdout.strip()).resolve()
    if common == (worktree / ".git").resolve() and not (worktree / ".git").is_file():
        # A plain repository, not a worktree: its .git lies inside the writable tree anyway.
        return None
    return GitDirs(common, _clean_config(common / "config", scratch))


def _clean_config(config: Path, scratch: Path) -> Path | None:
    if not config.is_file():
        return None
    proc = subprocess.run(["git", "config", "--file", str(config), "--null", "--list"],
                          env=git_env(), capture_output=True, text=True, check=False, timeout=30)
    if proc.returncode != 0:
        return None
    sections: dict[str, list[tuple[str, str]]] = {}
    for record in proc.stdout.split("\0"):
        key, _, value = record.partition("\n")
        low = key.lower()
        if not low.startswith(_KEEP_SECTIONS) or low in _DROP_CORE or low.count(".") != 1:
            continue
        section, name = key.split(".", 1)
        sections.setdefault(section, []).append((name, value))
    lines = []
    for section, items in sections.items():
        lines.append(f"[{section}]")
        lines += [f"\t{name} = {_quote(value)}" for name, value in items]
    fd, name = tempfile.mkstemp(prefix="gitconfig-", dir=scratch)
    with open(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return Path(name)


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'
