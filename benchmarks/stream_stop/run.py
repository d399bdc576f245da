"""What stopping replies while they stream would have saved, replayed on recorded real runs (issue 21).

Each recorded model reply of a run store is fed, a few characters at a time, through the stop rules
the agent loop now builds for the fix pipeline (agent/stream_stop.py: stop after the first complete
tool call, at most 256 tokens of prose before any code or call, a repeat of an earlier answer of the
same attempt stopped at half of it). Reported: how many replies each rule would have cut, the share
of completion tokens that would not have been generated (pro rata to the characters cut), and
whether every reply cut after its call still parses to the same first call.

    python benchmarks/stream_stop/run.py --db PATH/runs.sqlite3 [--name NAME]

Writes benchmarks/results/stream-stop-<name>.json and .md. The runs are read only.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

from smallcoder.agent.loop import AgentConfig
from smallcoder.agent.stream_stop import StreamStop
from smallcoder.protocol import parse_tool_calls
from smallcoder.tools import default_tools, tool_specs

RESULTS = Path(__file__).resolve().parents[1] / "results"


def replay(text: str, stop: StreamStop, piece: int = 4) -> tuple[str, str]:
    for i in range(0, len(text), piece):
        reason = stop(text[:i + piece])
        if reason:
            return text[:i + piece], reason
    return text, ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--name", default="recorded")
    ap.add_argument("--note", default="", help="where the recorded runs come from, kept with the figures")
    args = ap.parse_args()
    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    specs = tool_specs(default_tools())
    config = AgentConfig()
    reasons: Counter[str] = Counter()
    total_tokens = saved_tokens = replies = same_call = call_cuts = 0
    for run in conn.execute("SELECT id FROM runs WHERE model NOT LIKE 'scripted%' ORDER BY started_at"):
        fresh = {r["step"] for r in conn.execute("SELECT step FROM fresh_attempts WHERE run_id = ?", (run["id"],))}
        earlier: list[str] = []
        for call in conn.execute("SELECT step, text, completion_tokens FROM model_calls WHERE run_id = ? ORDER BY id",
                                 (run["id"],)):
            stop = StreamStop.build("hermes", stop_after_call=True, prose_tokens=config.max_prose_tokens,
                                    earlier=earlier)
            text = call["text"]
            kept, reason = replay(text, stop)
            replies += 1
            total_tokens += call["completion_tokens"]
            if reason:
                reasons[reason] += 1
                saved_tokens += round(call["completion_tokens"] * (1 - len(kept) / max(1, len(text))))
            if reason == "tool_call":
                call_cuts += 1
                full, cut = parse_tool_calls(text, specs, "hermes").calls, parse_tool_calls(kept, specs, "hermes").calls
                same_call += bool(full and cut and (full[0].name, full[0].arguments) == (cut[0].name, cut[0].arguments))
            if call["step"] in fresh:
                earlier = []  # this reply was a whole repeat: a fresh attempt started from the first prompt
            elif reason != "repeat":
                earlier.append(kept)
    out = {"benchmark": "stream-stop-replay", "db": str(args.db), "replies": replies, "cut": dict(reasons),
           "completion_tokens": total_tokens, "completion_tokens_not_generated": saved_tokens,
           "share_not_generated": round(saved_tokens / total_tokens, 3) if total_tokens else 0,
           "tool_call_cuts_same_first_call": f"{same_call}/{call_cuts}",
           "command": " ".join(["python", "benchmarks/stream_stop/run.py", *sys.argv[1:]]),
           "date": time.strftime("%Y-%m-%d"), **({"note": args.note} if args.note else {})}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"stream-stop-{args.name}.json").write_text(json.dumps(out, indent=2) + "\n")
    md = ["# Stopping replies while they stream, replayed on recorded runs", "", f"`{out['command']}`, {out['date']}",
          "", "| replies | cut after the call | cut as prose | cut as a repeat | completion tokens not generated "
          "| cut calls that parse the same |", "|---|---|---|---|---|---|",
          f"| {replies} | {reasons['tool_call']} | {reasons['prose']} | {reasons['repeat']} | "
          f"{saved_tokens:,} of {total_tokens:,} ({out['share_not_generated']:.0%}) | {out['tool_call_cuts_same_first_call']} |"]
    if args.note:
        md += ["", args.note]
    (RESULTS / f"stream-stop-{args.name}.md").write_text("\n".join(md) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
