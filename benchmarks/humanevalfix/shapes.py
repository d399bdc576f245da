"""What shape the model's replies took, read back from the run store.

The shapes are told apart by simple markers, in this order: a Hermes `<tool_call>` tag, a
```json fence, a ```python block, a reply that is a bare JSON object, anything else.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

SHAPES = ("hermes_tool_call", "json_fence", "python_block", "bare_json", "other")


def shape_of(text: str) -> str:
    if "<tool_call>" in text:
        return "hermes_tool_call"
    if "```json" in text:
        return "json_fence"
    if "```python" in text:
        return "python_block"
    if text.strip().startswith("{"):
        return "bare_json"
    return "other"


def reply_shapes(db: Path, run_ids: list[str]) -> dict[str, float]:
    """Share of all model replies in these runs (recorded in the store at `db`), per shape."""
    from smallcoder.store.runs import RunStore

    counts: Counter[str] = Counter()
    with RunStore(db) as store:
        for run_id in run_ids:
            counts.update(shape_of(call["text"]) for call in store.get_run(run_id)["model_calls"])
    total = sum(counts.values())
    return {shape: round(counts[shape] / total, 3) for shape in SHAPES} if total else {}
