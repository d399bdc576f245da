"""Another tool's predictions as a batch "model": judge them with the same harness, side by side.

`--model predictions:FILE.jsonl` takes each instance's patch from FILE, a predictions file in
SWE-bench's format (one JSON object a line: `instance_id`, `model_name_or_path`, `model_patch`;
the harness's input, which Aider's, SWE-agent's and mini-swe-agent's batch runners write), and
evaluates it like any model's patch: so a peer run elsewhere lands in the same report, judged by
the same hidden tests. Optional numbers on a line (`prompt_tokens`, `completion_tokens`,
`cached_tokens`, `steps`, `model_calls`, `run_s`) are carried into the record for the report; `run_s`
is added to the instance's wall time, which otherwise holds only the checkout and the evaluation.
An instance the file has no line for is unresolved with that reason, never dropped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from smallcoder.errors import SmallcoderError

PREFIX = "predictions:"
NUMBERS = ("prompt_tokens", "completion_tokens", "cached_tokens", "steps", "model_calls", "run_s")


def is_predictions(spec: str) -> bool:
    return spec.startswith(PREFIX)


def read_predictions(spec: str) -> dict[str, dict[str, Any]]:
    """instance_id → its line, from the file `spec` names. Raises SmallcoderError (one line) when the file is
    missing or a line is not a prediction; the last line for an instance wins (a resumed peer run)."""
    path = Path(spec.removeprefix(PREFIX)).expanduser()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise SmallcoderError(f"cannot read the predictions file {path}: {e}") from None
    out: dict[str, dict[str, Any]] = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            raise SmallcoderError(f"{path}:{n}: not JSON ({e.msg})") from None
        if not isinstance(item, dict) or not isinstance(item.get("instance_id"), str) \
                or not isinstance(item.get("model_patch", ""), str):
            raise SmallcoderError(f"{path}:{n}: a prediction needs a string `instance_id` and `model_patch`")
        out[item["instance_id"]] = item
    return out


def predictions_label(spec: str) -> str:
    """The name the predictions give themselves (`model_name_or_path`, when every line agrees), else the file's
    name without `.jsonl`."""
    names = {str(p.get("model_name_or_path", "")) for p in read_predictions(spec).values()}
    if len(names) == 1 and (name := names.pop()):
        return name
    return Path(spec.removeprefix(PREFIX)).name.removesuffix(".jsonl").removesuffix(".json")


def prediction_record(spec: str, instance_id: str) -> dict[str, Any]:
    """The record fields of one instance's prediction: its patch, and the numbers the line carries."""
    item = read_predictions(spec).get(instance_id)
    if item is None:
        return {"model_patch": "", "run_status": "no prediction",
                "run_reason": f"{spec.removeprefix(PREFIX)} has no line for this instance"}
    record: dict[str, Any] = {"model_patch": item.get("model_patch") or "", "run_status": "predicted",
                              "run_reason": "patch from the predictions file"}
    for key in NUMBERS:
        if isinstance(item.get(key), (int, float)) and not isinstance(item.get(key), bool):
            record[key] = item[key]
    if "run_s" in record:
        record["run_elsewhere_s"] = record["run_s"]  # added to the instance's wall time: the run happened elsewhere
    return record
