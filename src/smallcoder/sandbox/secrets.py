"""Keep credentials away from model-written commands, the run store and prompts.

A variable is a secret when its name says so (TOKEN, SECRET, PASSWORD, API_KEY,
…) or its value looks like one (a known token shape, a URL with a password).
Secret variables are dropped from the environment of sandboxed commands, and
their values are masked wherever text is recorded or shown to the model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

MASK = "[REDACTED]"
MIN_SECRET_LEN = 8  # shorter values ("1", "true") would mask ordinary text

# Name patterns that mark a credential (PGPASSWORD, GITHUB_TOKEN, NPM_CONFIG_AUTHTOKEN, MYSQL_PWD, …).
_SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|SECRET|CREDENTIAL|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|AUTH_?TOKEN|TOKEN$|(^|_)TOKENS?(_|$)"
    r"|(^|_)(PWD|PASS|AUTH|COOKIE|SESSION|SIGNATURE|DSN)(_|$)|_KEY$|^KEY_|AUTH_SOCK|CONNECTION_STRING|DATABASE_URL"
)
# ... unless the name says it holds a count or a path to one (MAX_TOKENS, PASSWORD_STORE_DIR).
_NOT_SECRET = re.compile(r"^(MAX|NUM|N)_|_(MAX|COUNT|LIMIT|SIZE|LEN|LENGTH|FILE|PATH|DIR)$")
_ALWAYS_KEEP = {"PATH", "HOME", "PWD", "OLDPWD", "LANG", "TERM", "SHELL", "USER", "LOGNAME", "TZ"}

_VALUE_SHAPES = re.compile(
    r"(\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_\w{20,}|\bsk-[A-Za-z0-9_-]{16,}|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\bxox[abposr]-[A-Za-z0-9-]{10,}|\bhf_[A-Za-z0-9]{30,}|\bglpat-[\w-]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY"
    r"|\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:[^/\s@]+@)"
)


def is_secret_name(name: str) -> bool:
    """Does this variable name say it holds a credential?"""
    upper = name.upper()
    if upper in _ALWAYS_KEEP or upper.startswith("LC_"):
        return False
    return bool(_SECRET_NAME.search(upper)) and not _NOT_SECRET.search(upper)


def looks_like_secret(value: str) -> bool:
    """Does this value have the shape of a token, key or password-bearing URL?"""
    return bool(_VALUE_SHAPES.search(value))


def is_secret(name: str, value: str) -> bool:
    return is_secret_name(name) or looks_like_secret(value)


def filter_env(environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """(the environment without secrets, the names that were dropped, sorted)."""
    environ = os.environ if environ is None else environ
    kept: dict[str, str] = {}
    dropped: list[str] = []
    for name, value in environ.items():
        if is_secret(name, value):
            dropped.append(name)
        else:
            kept[name] = value
    return kept, sorted(dropped)


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the secret variables in the environment, longest first (so a value inside another is masked whole)."""
    environ = os.environ if environ is None else environ
    values = {v for k, v in environ.items() if _maskable(v) and is_secret(k, v)}
    return sorted(values, key=len, reverse=True)


def _maskable(value: str) -> bool:
    """Long enough, and not a plain word or number: masking `AUTH_TYPE=password` would mangle every prompt."""
    if len(value) < MIN_SECRET_LEN:
        return False
    return len(value) >= 16 or not (value.isalpha() or value.isdigit())


def mask_values(text: str, values: Iterable[str] | None = None) -> str:
    """`text` with every occurrence of a secret value replaced by [REDACTED] (default: the environment's secrets)."""
    if not text:
        return text
    for value in secret_values() if values is None else values:
        if value in text:
            text = text.replace(value, MASK)
    return text
