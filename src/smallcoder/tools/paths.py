"""Confine model-given paths to the run's worktree.

Relative paths are relative to the root; absolute paths must lie inside it.
`..` escapes, symlinks that lead outside, and anything inside `.git` are refused:
the model may only touch the project's files, and git metadata is ours.
"""

from __future__ import annotations

import os
from pathlib import Path

from smallcoder.errors import ToolError


def resolve_path(root: Path, path: str) -> Path:
    """The real location of `path` inside `root`, or ToolError saying why it is refused."""
    raw = (path or "").strip() or "."
    root_abs = Path(os.path.abspath(root))
    root_real = root_abs.resolve()
    given = Path(raw)
    if given.is_absolute():
        rel = _inside(Path(os.path.normpath(given)), (root_abs, root_real))
        if rel is None:
            # Small models often write repo paths as "/src/x.py"; accept that only if it names a real file here.
            guess = Path(os.path.normpath(root_real / raw.lstrip("/\\")))
            if raw.strip("/\\") and guess.exists() and _inside(guess, (root_real,)) is not None:
                rel = _inside(guess, (root_real,))
        if rel is None:
            raise ToolError(f"path {path} is outside the repository; use a path relative to the repository root")
    else:
        rel = _inside(Path(os.path.normpath(root_real / given)), (root_real,))
        if rel is None:
            raise ToolError(f"path {path} is outside the repository; use a path relative to the repository root")
    _refuse_git(path, rel)

    real = (root_real / rel).resolve()
    real_rel = _inside(real, (root_real,))
    if real_rel is None:
        raise ToolError(f"path {path} is a symlink to a location outside the repository")
    _refuse_git(path, real_rel)
    return real


def display_path(root: Path, path: Path) -> str:
    """`path` as the model should write it: relative to the root, with forward slashes."""
    root_real = Path(os.path.abspath(root)).resolve()
    try:
        rel = path.relative_to(root_real)
    except ValueError:
        return str(path)
    return rel.as_posix() or "."


def _inside(path: Path, roots: tuple[Path, ...]) -> Path | None:
    """path relative to the first root that contains it (lexically), else None."""
    for root in roots:
        try:
            return path.relative_to(root)
        except ValueError:
            continue
    return None


def _refuse_git(given: str, rel: Path) -> None:
    if ".git" in rel.parts:
        raise ToolError(f"path {given} is inside .git, which tools may not touch; use run_command with git instead")
