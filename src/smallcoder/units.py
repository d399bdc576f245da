"""Human-readable figures shared by the terminal and the web viewer."""

from __future__ import annotations


def duration(seconds: float | None) -> str:
    """3ms, 1.2s, 4m05s, 1h02m; an en dash when unknown."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"
