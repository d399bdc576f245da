"""Remove credentials from text before it is written to the run store.

Observations and model output routinely echo environment dumps, config files
and HTTP headers; the store must not become a place where tokens pile up.
Only well-known token shapes are matched, so ordinary code is left intact.
"""

from __future__ import annotations

import re
from typing import Any

from smallcoder.sandbox.secrets import mask_values

MASK = "[REDACTED]"

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
