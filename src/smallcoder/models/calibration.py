"""Predicted vs measured memory of real loads on this machine, so `models fit` can say how far off it is.

Each embedded load appends one JSON line to `<home cache>/memory-calibration.jsonl`: the model
file, the context, the predicted bytes (memory.estimate) and the measured growth of the process's
resident memory across the load. Only the last `KEEP` lines are read.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

FILE_NAME = "memory-calibration.jsonl"
KEEP = 200


def record_load(cache_dir: Path, model: str, context: int, predicted: int, measured: int,
                kind: str = "embedded") -> None:
    """Append one load's predicted and measured bytes. Never raises on a full or read-only disk."""
    line = {"at": time.time(), "kind": kind, "model": model, "context": context, "predicted": predicted,
            "measured": measured}
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with (cache_dir / FILE_NAME).open("a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
    except OSError:
        pass  # calibration is a nicety; a load must not fail for it


def read_loads(cache_dir: Path) -> list[dict[str, Any]]:
    """The recorded loads, oldest first (at most the last KEEP)."""
    path = cache_dir / FILE_NAME
    if not path.is_file():
        return []
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines()[-KEEP:]:
        try:
            row = json.loads(raw)
        except ValueError:
            continue
        if isinstance(row, dict) and row.get("measured") and row.get("predicted"):
            out.append(row)
    return out


def measured_error(cache_dir: Path) -> dict[str, Any] | None:
    """Mean and worst relative error (predicted − measured) / measured in %, or None without records."""
    loads = read_loads(cache_dir)
    if not loads:
        return None
    errors = [100.0 * (r["predicted"] - r["measured"]) / r["measured"] for r in loads]
    return {"loads": len(loads), "mean_error_pct": sum(errors) / len(errors),
            "worst_error_pct": max(errors, key=abs), "last": loads[-1]}
