"""Model outputs for the scripted backend, written the way Qwen2.5-Coder writes Hermes tool calls."""

import json
from pathlib import Path

SCENARIO = "mean([]) raises ZeroDivisionError instead of returning 0.0"


def call(name: str, **arguments: object) -> str:
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"


REPORT = call("report_finding", path="stats.py", line=15, quote="return total(values) / count",
              scenario=SCENARIO, severity="high", category="bug", title="empty list divides by zero",
              suggestion="    return total(values) / count if count else 0.0", confidence=0.9)
# The list mode's reply (prompts/review_list.j2), as Qwen2.5-Coder writes it: fenced, with a sentence after.
LIST = ("```json\n" + json.dumps([{"file": "stats.py", "line": 15, "code": "return total(values) / count",
                                   "failure": SCENARIO, "confidence": 0.9}]) + "\n```\nThat is the only bug.")
# The same with the input as a call, which `smallcoder review` runs on both versions of the code.
LIST_CALL = ("```json\n" + json.dumps([{"file": "stats.py", "line": 15, "code": "return total(values) / count",
                                        "input": "mean([])", "old": "0.0", "new": "ZeroDivisionError",
                                        "confidence": 0.9}]) + "\n```")
OBSERVED = ("`mean([])` returns 0.0 before this change and raises ZeroDivisionError: division by zero after it "
            "(both run by smallcoder)")
REPORT_UNCHANGED = call("report_finding", path="stats.py", line=6, quote="result = 0",
                        scenario="total([]) returns 0 which is wrong for an empty product")


def write_script(path: Path, outputs: list[str]) -> str:
    """Write the outputs where `--model scripted:FILE` reads them; returns the --model value."""
    path.write_text(json.dumps(outputs))
    return f"scripted:{path}"
