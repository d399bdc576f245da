"""Which issue: a URL, OWNER/REPO#N, or a bare N in the repository's `origin` remote; and which API serves it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from smallcoder.github.errors import GitHubError
from smallcoder.workspace.git import git

PUBLIC_HOST = "github.com"
PUBLIC_API = "https://api.github.com"

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})"
_SHORT = re.compile(rf"^({_NAME})/({_NAME})#(\d+)$")
_NUMBER = re.compile(r"^#?(\d+)$")
_URL_PATH = re.compile(rf"^/({_NAME})/({_NAME})/(issues|pull)/(\d+)/?$")
# git@host:owner/repo(.git), ssh://git@host[:port]/owner/repo(.git), https://host/owner/repo(.git)
_SCP_REMOTE = re.compile(rf"^[\w.-]+@([\w.-]+):/?({_NAME})/({_NAME})(?:\.git)?/?$")


@dataclass(frozen=True)
class IssueRef:
    owner: str
    repo: str
    number: int
    host: str = PUBLIC_HOST  # the web host; the API URL is derived from it unless GITHUB_API_URL is set

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    def __str__(self) -> str:
        return f"{self.full_name}#{self.number}"


def parse_issue_ref(text: str, repo_path: Path | None = None) -> IssueRef:
    """`https://HOST/OWNER/REPO/issues/N`, `OWNER/REPO#N`, or `N` (repository from `origin`, else GITHUB_REPOSITORY)."""
    text = text.strip()
    if "://" in text:
        return _from_url(text)
    if m := _SHORT.match(text):
        return IssueRef(m.group(1), _strip_git(m.group(2)), _number(m.group(3), text), _default_host())
    if m := _NUMBER.match(text):
        owner, repo, host = repository_of(repo_path or Path("."))
        return IssueRef(owner, repo, _number(m.group(1), text), host)
    raise GitHubError(f"cannot read issue reference {text!r} — use a URL, OWNER/REPO#N or a number")


def _from_url(text: str) -> IssueRef:
    parts = urlsplit(text)
    m = _URL_PATH.match(parts.path)
    if not parts.hostname or not m:
        raise GitHubError(f"{text} is not an issue URL — expected https://HOST/OWNER/REPO/issues/N")
    if m.group(3) == "pull":
        raise GitHubError(f"{text} is a pull request, not an issue — pass the issue it fixes")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return IssueRef(m.group(1), _strip_git(m.group(2)), _number(m.group(4), text), host)


def _number(digits: str, text: str) -> int:
    n = int(digits)
    if n < 1:
        raise GitHubError(f"issue numbers start at 1, got {text!r}")
    return n


def _strip_git(name: str) -> str:
    return name[:-4] if name.endswith(".git") else name


def _default_host() -> str:
    """The web host that goes with GITHUB_API_URL (GitHub Enterprise), else github.com."""
    api = os.environ.get("GITHUB_SERVER_URL") or os.environ.get("GITHUB_API_URL")
    if not api:
        return PUBLIC_HOST
    host = urlsplit(api).netloc
    return PUBLIC_HOST if host == "api.github.com" else host or PUBLIC_HOST


def parse_remote_url(url: str) -> tuple[str, str, str] | None:
    """(owner, repo, host) of a GitHub-style remote URL, or None for a local path or an unknown shape."""
    url = url.strip()
    if m := _SCP_REMOTE.match(url):
        return m.group(2), _strip_git(m.group(3)), m.group(1)
    if "://" not in url:
        return None
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme not in ("https", "http", "ssh", "git") or not parts.hostname or len(segments) != 2:
        return None
    host = parts.hostname + (f":{parts.port}" if parts.port and parts.scheme in ("https", "http") else "")
    return segments[0], _strip_git(segments[1]), host


def repository_of(repo_path: Path, remote: str = "origin") -> tuple[str, str, str]:
    """The GitHub repository a checkout belongs to: its `origin` URL, else GITHUB_REPOSITORY (set in Actions)."""
    proc = git(["remote", "get-url", remote], repo_path, ok_codes=(0, 2, 128))
    parsed = parse_remote_url(proc.stdout.decode("utf-8", "replace")) if proc.returncode == 0 else None
    if parsed:
        return parsed
    env_repo = os.environ.get("GITHUB_REPOSITORY", "")
    if "/" in env_repo:
        owner, name = env_repo.split("/", 1)
        return owner, name, _default_host()
    raise GitHubError(
        f"cannot tell the GitHub repository of {repo_path}: its `{remote}` remote is not a GitHub URL — "
        "pass OWNER/REPO#N or the issue URL"
    )


def api_base_url(host: str) -> str:
    """GITHUB_API_URL when set (Actions sets it, also on GitHub Enterprise); else the API that serves `host`."""
    env = os.environ.get("GITHUB_API_URL", "").strip()
    if env:
        return env.rstrip("/")
    if host in (PUBLIC_HOST, "www.github.com"):
        return PUBLIC_API
    return f"https://{host}/api/v3"  # GitHub Enterprise Server's documented layout
