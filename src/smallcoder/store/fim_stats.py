"""Acceptance statistics of editor completions, kept only in the local store (migration 4).

One row per suggestion shown; the editor later reports it accepted (whole) or partially
accepted (a word or a line of it). Nothing here ever leaves the machine.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from smallcoder.errors import SmallcoderError
from smallcoder.store.db import connect

OUTCOMES = ("accepted", "partial")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class AcceptanceRow:
    """Figures for one (model, language): counts of suggestions, and the accepted share in percent
    (accepted + partially accepted over shown). ``p50_latency_ms``: median keystroke-to-suggestion time."""

    model: str
    language: str
    shown: int
    accepted: int
    partial: int
    accepted_chars: int
    p50_latency_ms: float | None

    @property
    def acceptance_pct(self) -> float:
        return round(100.0 * (self.accepted + self.partial) / self.shown, 1) if self.shown else 0.0


class FimStats:
    """Writes and reads ``fim_suggestions``. Thread-safe: the language server records from workers."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._conn = connect(path)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def shown(self, *, language: str, model: str, text: str, latency_ms: float | None) -> int:
        """Record a suggestion shown; returns its id for ``outcome``."""
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO fim_suggestions (shown_at, language, model, chars, lines, latency_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (_now(), language, model, len(text), text.count("\n") + 1 if text else 0, latency_ms),
            )
            return int(cur.lastrowid or 0)

    def outcome(self, suggestion_id: int, outcome: str, accepted_chars: int | None = None) -> None:
        """Mark a shown suggestion "accepted" or "partial". Unknown ids and outcomes raise SmallcoderError."""
        if outcome not in OUTCOMES:
            raise SmallcoderError(f"unknown completion outcome {outcome!r} — use one of {', '.join(OUTCOMES)}")
        with self._lock:
            row = self._conn.execute("SELECT chars, accepted_chars FROM fim_suggestions WHERE id = ?",
                                     (suggestion_id,)).fetchone()
            if row is None:
                raise SmallcoderError(f"no completion {suggestion_id} was shown")
            chars = row["chars"] if accepted_chars is None else min(accepted_chars, row["chars"])
            if outcome == "partial":  # partial acceptances add up until the whole is taken
                chars = min(row["chars"], row["accepted_chars"] + chars)
            self._conn.execute("UPDATE fim_suggestions SET outcome = ?, accepted_chars = ?, outcome_at = ? "
                               "WHERE id = ? AND outcome != 'accepted'", (outcome, chars, _now(), suggestion_id))

    def summary(self) -> list[AcceptanceRow]:
        """One row per (model, language), most shown first."""
        with self._lock:
            groups = self._conn.execute(
                "SELECT model, language, COUNT(*) AS shown, SUM(outcome = 'accepted') AS accepted, "
                "SUM(outcome = 'partial') AS partial, SUM(accepted_chars) AS accepted_chars "
                "FROM fim_suggestions GROUP BY model, language ORDER BY shown DESC, model, language"
            ).fetchall()
            rows = []
            for g in groups:
                lat = [r[0] for r in self._conn.execute(
                    "SELECT latency_ms FROM fim_suggestions WHERE model = ? AND language = ? AND latency_ms "
                    "IS NOT NULL ORDER BY latency_ms", (g["model"], g["language"]))]
                rows.append(AcceptanceRow(g["model"], g["language"], g["shown"], g["accepted"] or 0,
                                          g["partial"] or 0, g["accepted_chars"] or 0,
                                          lat[len(lat) // 2] if lat else None))
            return rows
