"""Where a server lives, and whether code may be sent there.

Loopback (127.0.0.0/8, ::1, localhost) is this machine: always allowed. Anything
else means the repository's code leaves the machine, so it needs an explicit
opt-in (`--allow-remote` or `allow_remote = true` in the config) and its API key
comes from the environment, never from a file or a flag.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit, urlunsplit

from smallcoder.errors import ConfigError

# Tried in order when no variable is named in the config.
API_KEY_VARIABLES = ("SMALLCODER_API_KEY", "OPENAI_API_KEY")
# The openai client insists on a key; local servers ignore it.
LOCAL_PLACEHOLDER_KEY = "sk-local-no-key"


def normalize_url(url: str) -> str:
    """Add a scheme when missing and drop a trailing slash: "localhost:8080/" -> "http://localhost:8080"."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if not parts.hostname:
        raise ConfigError(f"not a server URL: {url!r} — use e.g. http://127.0.0.1:8080/v1")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), parts.query, "")).rstrip("/")


def is_loopback(url: str) -> bool:
    host = (urlsplit(normalize_url(url)).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # any other name could resolve anywhere: treat it as remote


def check_allowed(url: str, allow_remote: bool) -> None:
    """Refuse a non-loopback endpoint unless the user opted in."""
    if not is_loopback(url) and not allow_remote:
        host = urlsplit(normalize_url(url)).netloc
        raise ConfigError(
            f"{host} is not this machine, so your code would leave it — pass --allow-remote "
            "(or set allow_remote = true in the config) if that is what you want"
        )


def api_key(url: str, variable: str | None = None) -> str:
    """The key for `url`: from the named variable, else SMALLCODER_API_KEY / OPENAI_API_KEY.

    Local servers get a placeholder when none is set; a remote one without a key is an error.
    """
    names = (variable,) if variable else API_KEY_VARIABLES
    for name in names:
        value = os.environ.get(name or "")
        if value:
            return value
    if is_loopback(url):
        return LOCAL_PLACEHOLDER_KEY
    raise ConfigError(f"no API key for {urlsplit(normalize_url(url)).netloc} — set {' or '.join(names)} "
                      "in the environment")


def server_root(base_url: str) -> str:
    """The server's root, without the OpenAI "/v1" suffix: where /props, /tokenize and /api/... live."""
    url = normalize_url(base_url)
    return url[: -len("/v1")] if url.endswith("/v1") else url


def openai_base(url: str) -> str:
    """The OpenAI API base: the URL as given, with "/v1" added when it has no path."""
    url = normalize_url(url)
    return url if urlsplit(url).path else url + "/v1"
