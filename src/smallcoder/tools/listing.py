"""The project's files as the model should see them: what git would track, .gitignore respected."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Skipped by the fallback walk (no git): directories that are never the project's own source.
_SKIP_DIRS = {".git", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache", ".pytest_cache"}


def project_files(root: Path, sub: str = ".") -> list[str]:
    """Sorted root-relative posix paths of the files under `sub` (a root-relative path)."""
    files = _git_files(root, sub)
    if files is None:
        files = _walk_files(root, sub)
    return sorted(set(files))


def _git_files(root: Path, sub: str) -> list[str] | None:
    cmd = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", sub]
    try:
        proc = subprocess.run(cmd, cwd=root, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names = [n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    # --cached lists files deleted from the worktree but still in the index; they are gone for the model.
    return [n for n in names if os.path.lexists(root / n)]


def _walk_files(root: Path, sub: str) -> list[str]:
    start = root / sub
    if start.is_file():
        return [Path(sub).as_posix()]
    out = []
    for dirpath, dirnames, filenames in os.walk(start):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in filenames:
            out.append(Path(os.path.relpath(os.path.join(dirpath, name), root)).as_posix())
    return out
