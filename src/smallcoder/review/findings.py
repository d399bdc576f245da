"""A review finding: where (new side of the diff), how bad, what kind, and the concrete failure it predicts."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from smallcoder.errors import SmallcoderError

# Ordered from most to least severe; the rank and the SARIF/rdjson levels follow this order.
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
# The categories the issue names; "test gap" is spelled with an underscore in machine formats.
CATEGORIES: tuple[str, ...] = ("bug", "security", "performance", "test_gap", "style")


class FindingError(SmallcoderError):
    """A finding (from the model or a JSON file) that cannot be read: the message names the field."""


@dataclass(frozen=True)
class Finding:
    """One review comment.

    path: repository-relative, forward slashes. start_line/end_line: 1-based, inclusive, on the NEW
    side of the diff. scenario: the concrete failure ("calling mean([]) raises ZeroDivisionError").
    quote: code the finding is about, copied from the new file (checked to exist). suggestion: the
    replacement text for lines start_line..end_line, or "" (shown as a GitHub suggestion block).
    confidence: 0.0–1.0, the model's own estimate (a verification pass may lower it).
    check: a Python call that shows the failure ("parse('a AS b')"), run on both versions of the code
    when the file is Python (session/review_probe.py), or "".
    """

    path: str
    start_line: int
    end_line: int
    severity: str
    category: str
    title: str
    scenario: str
    quote: str = ""
    suggestion: str = ""
    confidence: float = 0.5
    check: str = ""
    merged: int = field(default=1, compare=False)  # how many near-duplicates this one stands for

    @property
    def key(self) -> str:
        """An identity that survives re-runs on later pushes (SARIF's fingerprint): the file, the category
        and the code the finding is on, or its title without numbers when it quotes none. No line number
        (an edit above moves it) and no counts ("and 11 more tests")."""
        what = " ".join(self.quote.split()) or re.sub(r"\d+", "#", " ".join(self.title.lower().split()))
        return f"{self.path}:{self.category}:{what[:120]}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Finding:
        """Build from a dict as written by to_json() or by the model (lenient about case and aliases).

        Raises FindingError naming the missing or wrong field."""
        if not isinstance(data, dict):
            raise FindingError(f"a finding must be a JSON object, got {type(data).__name__}")
        try:
            start = int(data.get("start_line", data.get("line", 0)) or 0)
            end = int(data.get("end_line") or start)
            confidence = float(data.get("confidence", 0.5) or 0.0)
        except (TypeError, ValueError) as e:
            raise FindingError(f"a finding has a line or confidence that is not a number: {e}") from None
        path = clean_path(str(data.get("path") or data.get("file") or ""))
        if not path:
            raise FindingError("a finding has no path")
        if start < 1:
            raise FindingError(f"finding on {path}: the line must be a positive number")
        return cls(
            path=path, start_line=start, end_line=max(start, end),
            severity=normal_severity(str(data.get("severity", "medium"))),
            category=normal_category(str(data.get("category", "bug"))),
            title=str(data.get("title") or data.get("message") or "").strip(),
            scenario=str(data.get("scenario") or data.get("failure") or "").strip(),
            quote=str(data.get("quote") or ""), suggestion=str(data.get("suggestion") or ""),
            confidence=min(1.0, max(0.0, confidence if confidence <= 1.0 else confidence / 100)),
            check=str(data.get("check") or ""),
            merged=int(data.get("merged", 1) or 1),
        )


def normal_severity(text: str) -> str:
    """Map the words models use ("error", "warning", "major", …) onto SEVERITIES; unknown → medium."""
    word = text.strip().lower()
    aliases = {"blocker": "critical", "error": "high", "major": "high", "warning": "medium", "moderate": "medium",
               "minor": "low", "info": "low", "note": "low", "nit": "low"}
    word = aliases.get(word, word)
    return word if word in SEVERITIES else "medium"


def normal_category(text: str) -> str:
    """Map free category words onto CATEGORIES ("test gap", "tests" → test_gap, "perf" → performance)."""
    word = text.strip().lower().replace("-", "_").replace(" ", "_")
    if word.startswith("test"):
        return "test_gap"
    if word.startswith("perf"):
        return "performance"
    if word.startswith(("sec", "vuln")):
        return "security"
    if word in ("style", "readability", "naming", "nit", "maintainability"):
        return "style"
    return word if word in CATEGORIES else "bug"


def clean_path(text: str) -> str:
    """'./src/a.py' → 'src/a.py' (a leading 'b/' is resolved against the diff in checks.py)."""
    path = text.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path
