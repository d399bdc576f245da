"""A clean checkout of a task's repository at its base commit, from a local path or a git URL.

Each repository is cloned once into a shared mirror (`<cache>/mirrors/<name>.git`, bare); each
instance then gets its own checkout from that mirror, so parallel workers never share a working
tree and the source repository is never written to. Clones from a mirror share its objects
(`--shared`), so a checkout costs only its files.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
from pathlib import Path

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.git import INTERNAL_CONFIG, git, git_out

GITHUB_SHORT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")


def source_url(repo: str, base_dir: Path) -> str:
    """Where to clone `repo` from: an existing local path (relative to `base_dir`), a URL, or GitHub's owner/name."""
    local = Path(repo).expanduser()
    if not local.is_absolute():
        local = base_dir / local
    if local.exists():
        return str(local.resolve())
    if "://" in repo or repo.startswith("git@") or repo.endswith(".git"):
        return repo
    if GITHUB_SHORT.fullmatch(repo):
        return f"https://github.com/{repo}.git"
    raise WorkspaceError(f"repository not found: {repo} — give a local path, a git URL, or owner/name")


def _mirror_name(url: str) -> str:
    tail = re.sub(r"[^A-Za-z0-9._-]+", "_", url.rstrip("/").split("/")[-1].removesuffix(".git"))[:40]
    return f"{tail}-{hashlib.sha256(url.encode()).hexdigest()[:10]}.git"


def mirror(url: str, cache: Path) -> Path:
    """A bare clone of `url` under `cache/mirrors` (made once; a lock keeps parallel workers from racing)."""
    mirrors = cache / "mirrors"
    mirrors.mkdir(parents=True, exist_ok=True)
    path = mirrors / _mirror_name(url)
    with open(mirrors / (path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until the clone is complete
        if not (path / "HEAD").exists():
            tmp = path.with_suffix(".partial")
            shutil.rmtree(tmp, ignore_errors=True)
            git(["clone", "-q", "--bare", url, str(tmp)], cache, config=INTERNAL_CONFIG)
            tmp.rename(path)
    return path


def checkout(url: str, commit: str | None, dest: Path, cache: Path) -> str:
    """Make `dest` a fresh checkout of `url` at `commit` (HEAD when None); returns the full commit id.

    Raises WorkspaceError when the repository cannot be cloned or the commit is not in it. A
    leftover `dest` from an interrupted run is replaced.
    """
    bare = mirror(url, cache)
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    git(["clone", "-q", "--shared", "--no-checkout", str(bare), str(dest)], dest.parent, config=INTERNAL_CONFIG)
    target = commit or "HEAD"
    found = git(["cat-file", "-e", f"{target}^{{commit}}"], dest, ok_codes=(0, 1, 128)).returncode == 0
    if not found and commit:  # a mirror made before this commit existed: bring it up to date once
        with open(bare.parent / (bare.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            git(["fetch", "-q", url, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], bare,
                config=INTERNAL_CONFIG, ok_codes=(0, 1, 128))
            git(["fetch", "-q", url, commit], bare, config=INTERNAL_CONFIG, ok_codes=(0, 1, 128))
        found = git(["cat-file", "-e", f"{target}^{{commit}}"], dest, ok_codes=(0, 1, 128)).returncode == 0
    if not found:
        raise WorkspaceError(f"commit {target} is not in {url}")
    git(["checkout", "-q", "--detach", target], dest, config=INTERNAL_CONFIG)
    head = git_out(["rev-parse", "HEAD"], dest)
    # Only the base stays reachable: the model must not find the fix in later commits (`git log --all`).
    git(["remote", "remove", "origin"], dest, ok_codes=(0, 2))
    refs = git_out(["for-each-ref", "--format=%(refname)"], dest).split()
    if refs:
        git(["update-ref", "--stdin"], dest, input="".join(f"delete {r}\n" for r in refs).encode())
    git(["checkout", "-q", "-B", "main"], dest, config=INTERNAL_CONFIG)  # a branch, as a user's checkout has
    return head


def apply_patch(repo: Path, patch: str) -> str | None:
    """Apply a unified diff to `repo`'s working tree; None when it applied, else git's reason (one line)."""
    if not patch.strip():
        return None
    text = patch if patch.endswith("\n") else patch + "\n"
    proc = git(["apply", "--whitespace=nowarn", "-"], repo, input=text.encode(), ok_codes=(0, 1, 128))
    if proc.returncode == 0:
        return None
    proc = git(["apply", "--whitespace=nowarn", "--3way", "-"], repo, input=text.encode(), ok_codes=(0, 1, 128))
    if proc.returncode == 0:
        return None
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else f"git apply exit code {proc.returncode}"
