"""Which files of a repository the map looks at, and reading them safely."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

MAX_FILE_BYTES = 1_000_000
MAX_AVG_LINE = 400  # longer average lines: minified or generated code, not worth a map entry

# Skipped when walking a directory that is not a git repository.
_SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "dist", "build", "target", ".idea",
})


def list_files(root: Path) -> list[str]:
    """Tracked plus untracked-but-not-ignored files (relative, '/'-separated); a walk outside git."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root, capture_output=True, check=False, timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        out = None
    if out is not None and out.returncode == 0:
        return sorted({p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p})
    return _walk(root)


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        rel_dir = Path(dirpath).relative_to(root)
        found += [(rel_dir / f).as_posix() for f in sorted(filenames)]
    return found


def read_source(path: Path, size: int) -> str | None:
    """The file as text, or None for binary, huge, unreadable or minified files."""
    if size > MAX_FILE_BYTES:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    if data and len(data) / (data.count(b"\n") + 1) > MAX_AVG_LINE:
        return None
    return data.decode("utf-8", "replace")
