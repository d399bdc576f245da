"""A batch's output directory: per-model records and SWE-bench predictions, written as each instance ends.

    OUT/<model>/records.jsonl       one full record per finished instance (outcome, tokens, times, patch)
    OUT/<model>/predictions.jsonl   {"instance_id", "model_name_or_path", "model_patch"} — the file SWE-bench's
                                    harness takes with --predictions_path, unchanged
    OUT/<model>/logs/<id>.log       the instance's agent events and evaluation output
    OUT/batch.json                  the batch's settings (what --resume checks it continues)

Each line is appended, flushed and fsync'ed before the next instance is counted, so `kill -9`
loses at most the instances that were still running. A line cut short by a kill is dropped
when the file is next opened (the instance then runs again).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from smallcoder.errors import SmallcoderError

PREDICTION_KEYS = ("instance_id", "model_name_or_path", "model_patch")


class BatchOutputError(SmallcoderError):
    """The output directory holds another batch's results, or cannot be written."""


def _repair(path: Path) -> None:
    """Cut a last line left unfinished by a killed writer, so the next append starts a fresh line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as f:
            f.truncate(data.rfind(b"\n") + 1)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The complete JSON lines of `path` (a half-written last line is skipped)."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _prediction(record: dict[str, Any]) -> dict[str, str]:
    """The SWE-bench prediction of a record: exactly the three keys the harness reads."""
    return {k: str(record.get(k) or "") for k in PREDICTION_KEYS}


class BatchOutput:
    """Appends records and predictions for one batch; thread-safe (one lock for all models)."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self._lock = threading.Lock()

    def model_dir(self, label: str) -> Path:
        path = self.out / label
        (path / "logs").mkdir(parents=True, exist_ok=True)
        return path

    def records(self, label: str) -> list[dict[str, Any]]:
        """Finished records of `label`, the latest one per instance_id."""
        latest = {r["instance_id"]: r for r in read_jsonl(self.out / label / "records.jsonl") if "instance_id" in r}
        return list(latest.values())

    def done(self, label: str, *, retry: tuple[str, ...] = ()) -> set[str]:
        """Instance ids of `label` that are finished: recorded, with an outcome not in `retry`."""
        return {r["instance_id"] for r in self.records(label) if r.get("outcome") not in retry}

    def labels(self) -> list[str]:
        """Every model with records in this directory, in name order."""
        if not self.out.is_dir():
            return []
        return sorted(p.parent.name for p in self.out.glob("*/records.jsonl"))

    def start(self, settings: dict[str, Any], *, resume: bool) -> None:
        """Claim the directory: refuse to mix into earlier results unless resuming; repair cut lines."""
        self.out.mkdir(parents=True, exist_ok=True)
        meta = self.out / "batch.json"
        if self.labels() and not resume:
            raise BatchOutputError(f"{self.out} already holds batch results — pass --resume to continue them, "
                                   "or choose another --out")
        for label in self.labels():
            _repair(self.out / label / "records.jsonl")
            self._rewrite_predictions(label)  # records are the truth: a kill between the two writes leaves no twin
        meta.write_text(json.dumps(settings, indent=2, default=str), encoding="utf-8")

    def finish(self) -> None:
        """Rewrite every predictions file from the records: one line per instance, the latest (after retries)."""
        with self._lock:
            for label in self.labels():
                self._rewrite_predictions(label)

    def _rewrite_predictions(self, label: str) -> None:
        rows = [_prediction(r) for r in self.records(label)]
        tmp = self.out / label / "predictions.jsonl.partial"
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        tmp.replace(self.out / label / "predictions.jsonl")

    def write(self, record: dict[str, Any]) -> None:
        """Append `record` and its prediction, durably (flush + fsync) — the instance is then finished."""
        label = record["model"]
        prediction = _prediction(record)
        with self._lock:
            folder = self.model_dir(label)
            for name, row in (("predictions.jsonl", prediction), ("records.jsonl", record)):
                with open(folder / name, "a", encoding="utf-8") as f:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
