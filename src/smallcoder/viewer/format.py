"""Small formatters the templates use as Jinja filters, and the diff colouring (Pygments)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from markupsafe import Markup
from markupsafe import escape as markup_escape
from pygments import highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import DiffLexer  # type: ignore[import-untyped]

from smallcoder.secrets import mask_values, secret_values
from smallcoder.units import duration as secs

_DIFF_FORMATTER = HtmlFormatter(cssclass="hl", nowrap=False)

# Status → CSS class of its badge (colours in static/viewer.css).
STATUS_CLASS = {
    "resolved": "ok", "submitted": "ok", "reviewed": "ok", "running": "live", "unresolved": "warn", "limits_exceeded": "warn",
    "format_errors": "warn", "changed-unverified": "warn", "interrupted": "muted", "cancelled": "muted",
    "error": "bad",
}


def count(n: float | None) -> str:
    """Token counts: 950, 12.3k, 1.2M."""
    if n is None:
        return "–"
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    return f"{n / 1000:.1f}k" if n >= 10_000 else f"{n:.0f}"


def pct(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def when(iso: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC timestamp in the viewer's local time."""
    if not iso:
        return "–"
    return datetime.fromisoformat(iso).astimezone().strftime(fmt)


def first_line(text: str | None, width: int = 90) -> str:
    lines = (text or "").strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def args_text(arguments: Any) -> str:
    """Tool arguments as `key=value` pairs, values in JSON (as the model wrote them after parsing)."""
    if isinstance(arguments, dict):
        return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items())
    return json.dumps(arguments, ensure_ascii=False)


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def mask_page(body: str) -> str:
    """A rendered page with the values of this process's secret environment variables masked.

    The store masked credentials when it wrote each record (smallcoder.secrets.redact, with the
    recording process's environment); this adds the viewer's own environment, in the page as sent
    (raw, and as HTML-escaped when escaping changes the value). Reading the environment once per
    page rather than once per field keeps a 500-step page fast (redact() reads it on every call).
    """
    values = secret_values()
    if not values:
        return body
    escaped = [e for v in values if (e := str(markup_escape(v))) != v]
    return mask_values(body, [*values, *escaped])


def diff_html(diff: str) -> Markup:
    """The unified diff coloured by Pygments' DiffLexer (classes styled by /static/pygments.css)."""
    return Markup(highlight(diff, DiffLexer(), _DIFF_FORMATTER))


def diff_stats(diff: str) -> tuple[int, int, int]:
    """(files, added lines, removed lines) of a unified diff."""
    lines = diff.splitlines()
    files = sum(1 for ln in lines if ln.startswith("diff --git ")) or sum(1 for ln in lines if ln.startswith("+++ "))
    added = sum(1 for ln in lines if ln.startswith("+") and not ln.startswith("+++"))
    removed = sum(1 for ln in lines if ln.startswith("-") and not ln.startswith("---"))
    return files, added, removed


def pygments_css() -> str:
    return str(_DIFF_FORMATTER.get_style_defs(".hl"))


FILTERS = {
    "secs": secs, "count": count, "pct": pct, "when": when, "first_line": first_line, "args": args_text,
    "pretty_json": pretty_json, "diff_html": diff_html,
}
