"""Keep credentials away from model-written commands, the run store and prompts: the one secrets module.

A variable is a secret when its name says so (TOKEN, SECRET, PASSWORD, API_KEY,
…) or its value looks like one (a known token shape, a URL with a password).
Secret variables are dropped from the environment of sandboxed commands, and
their values are masked wherever text is recorded or shown to the model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

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


# --- redaction of recorded and prompted text -------------------------------------------------------
# Observations and model output routinely echo environment dumps, config files and HTTP headers; the store
# and the prompt must not become places where tokens pile up. Only well-known token shapes are matched, so
# ordinary code is left intact.

# (pattern, replacement); replacements keep non-secret context such as a header name.
_RULES: list[tuple[re.Pattern[str], str]] = [
    # PEM private keys; an unterminated block (truncated output) is masked to the end.
    (
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|.*)",
            re.S,
        ),
        MASK,
    ),
    (re.compile(r"(?i)(\bauthorization\s*[:=]\s*[\"']?(?:bearer|basic|token)\s+)[^\s\"',;]+"), rf"\1{MASK}"),
    (re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{20,}"), rf"\1{MASK}"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), MASK),  # GitHub tokens
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), MASK),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), MASK),  # OpenAI / Anthropic style keys
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),  # AWS access key ids
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), MASK),  # Slack
    (re.compile(r"\bhf_[A-Za-z0-9]{30,}"), MASK),  # Hugging Face
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), MASK),  # GitLab
    # Passwords in URLs (git remotes, database URLs): scheme://user:secret@host.
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@"), rf"\1{MASK}@"),
    # Env-style assignments of secret-named variables (e.g. the output of `env`). The name must end
    # in the keyword or continue with `_…` (so MAX_TOKENS=… is left alone), and numbers are not secrets.
    (
        re.compile(
            r"\b([A-Z0-9_]*(?:API_KEY|SECRET|TOKEN|PASSWORD|PASSWD)(?:_[A-Z0-9]+)*=[\"']?)(?![0-9]+\b)[^\s\"']{6,}"
        ),
        rf"\1{MASK}",
    ),
]


def redact(text: str) -> str:
    """`text` with anything that looks like a credential replaced by [REDACTED]."""
    if not text:
        return text
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return mask_values(text)  # values of credential-like environment variables, whatever their shape


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (tool arguments, extra data)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(item) for item in value]
    return value
