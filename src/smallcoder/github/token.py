"""Find the user's GitHub token: the environment first, then the GitHub CLI's login."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_VARS = ("GITHUB_TOKEN", "GH_TOKEN")
ENTERPRISE_ENV_VARS = ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")  # gh's names for non-github.com hosts


@dataclass(frozen=True)
class Token:
    value: str
    source: str  # where it came from, for messages; the value itself is never shown

    def __repr__(self) -> str:
        return f"Token(source={self.source!r})"


def find_token(host: str = "github.com") -> Token | None:
    """GITHUB_TOKEN, GH_TOKEN (and gh's enterprise variables off github.com), then gh's hosts.yml, then `gh auth token`."""
    names = ENV_VARS if host == "github.com" else ENV_VARS + ENTERPRISE_ENV_VARS
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return Token(value, name)
    return _from_gh_hosts(host) or _from_gh_command(host)


def gh_config_dir() -> Path:
    if os.environ.get("GH_CONFIG_DIR"):
        return Path(os.environ["GH_CONFIG_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "gh"


def _from_gh_hosts(host: str) -> Token | None:
    path = gh_config_dir() / "hosts.yml"
    try:
        import yaml

        text = path.read_text(encoding="utf-8")
    except (OSError, ImportError, UnicodeDecodeError):  # no gh login here (or no YAML reader): look elsewhere
        return None
    try:
        hosts: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    entry = hosts.get(host) if isinstance(hosts, dict) else None
    token = entry.get("oauth_token") if isinstance(entry, dict) else None
    if isinstance(token, str) and token.strip():
        return Token(token.strip(), str(path))
    return None


def _from_gh_command(host: str) -> Token | None:
    """Newer gh keeps the token in the system keyring; it hands it out with `gh auth token`."""
    gh = shutil.which("gh")
    if gh is None:
        return None
    try:
        proc = subprocess.run([gh, "auth", "token", "--hostname", host], capture_output=True, text=True,
                              timeout=10, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = proc.stdout.strip()
    return Token(value, "gh auth token") if proc.returncode == 0 and value else None
