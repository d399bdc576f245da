"""The repository files that may become training data, and why the others were left out.

Files come from repomap.files.list_files (tracked plus untracked-but-not-ignored, so `.gitignore`
applies); read_source drops binary, oversized and minified files. License files, lock files and
files under an excluded license are dropped too. Every drop is counted by reason.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from smallcoder.dataset.hygiene import DEFAULT_DENY_LICENSES, Removals, denied_license, scrub
from smallcoder.errors import SmallcoderError
from smallcoder.repomap.files import list_files as repo_files
from smallcoder.repomap.files import read_source
from smallcoder.repomap.languages import language_for

DEFAULT_MAX_BYTES = 200_000
_LICENSE_NAMES = ("LICENSE", "LICENCE", "COPYING", "NOTICE")
_LOCK_FILES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "uv.lock", "Cargo.lock",
                         "Pipfile.lock", "go.sum", "composer.lock"})
_TEXT_EXTS = frozenset({".md", ".rst", ".txt", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".json", ".sh", ".html",
                        ".css", ".sql"})


@dataclass(frozen=True)
class SourceFile:
    """One usable file: ``path`` relative to the repository ('/'-separated), ``language`` (a tree-sitter
    name, or "" for text that is not code) and its secret-scrubbed ``text``."""

    path: str
    language: str
    text: str


def ignored_count(repo: Path) -> int:
    """How many paths `.gitignore` rules hide (an ignored directory counts once); 0 outside git."""
    out = subprocess.run(["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z"],
                         cwd=repo, capture_output=True, check=False)
    return len([p for p in out.stdout.split(b"\0") if p]) if out.returncode == 0 else 0


def collect(repo: Path, *, code_only: bool = True, max_bytes: int = DEFAULT_MAX_BYTES,
            deny_licenses: tuple[str, ...] = DEFAULT_DENY_LICENSES) -> tuple[list[SourceFile], Removals]:
    """Usable files of ``repo`` (sorted by path) and the counts of files left out, by reason.

    ``code_only``: keep only files with a known programming language (else docs and configs too).
    ``max_bytes``: larger files are left out. Raises SmallcoderError when ``repo`` is not a directory.
    """
    if not repo.is_dir():
        raise SmallcoderError(f"repository not found: {repo}")
    removed = Removals()
    removed.add("gitignored", ignored_count(repo))
    files: list[SourceFile] = []
    for rel in repo_files(repo):
        path = repo / rel
        name = PurePosixPath(rel).name
        if not path.is_file() or path.is_symlink():
            continue
        if name.upper().startswith(_LICENSE_NAMES) or name in _LOCK_FILES:
            removed.add("license or lock file")
            continue
        lang = language_for(rel) or ""
        if code_only and not lang:
            removed.add("not code")
            continue
        if not lang and PurePosixPath(rel).suffix.lower() not in _TEXT_EXTS:
            removed.add("not code or text")
            continue
        size = path.stat().st_size
        if size > max_bytes:
            removed.add("too large")
            continue
        text = read_source(path, size)
        if text is None:
            removed.add("binary or minified")
            continue
        if not text.strip():
            removed.add("empty")
            continue
        if denied_license(text, deny_licenses):
            removed.add("excluded license")
            continue
        clean, n = scrub(text)
        removed.add("secrets masked", n)
        files.append(SourceFile(rel, lang, clean))
    return files, removed
