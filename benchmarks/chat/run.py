"""`smallcoder chat` with a real model: the chat's own overhead on time to first token, KV-cache reuse per
turn and after a resume, and the fixed prompt size.

    python benchmarks/chat/run.py --model ~/.cache/smallcoder-test-models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf

A small repository (the bundled mean() example) gets a scripted conversation of a few turns. Per model call:
time to first token as the engine measures it (from the request to the first streamed piece) and the prompt
tokens served from the KV cache. Per turn: the chat's overhead, the time from `send()` to the first streamed
piece minus the engine's own time to first token (snapshots, token counting, building the request). Then the
chat is closed and resumed from the store on the same engine (as a running server would keep its cache), and
one more turn measures reuse after the resume. The fixed prompt is the system prompt and the tool schemas,
counted with the model's own tokenizer.

Writes benchmarks/results/chat.json and chat.md. Timings are noisy on a shared machine: read the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

from smallcoder.agent.events import Event, ModelCalled
from smallcoder.config import load_config
from smallcoder.paths import Home
from smallcoder.session.chat import ChatSession
from smallcoder.session.chat_modes import Mode
from smallcoder.session.setup import open_session

RESULTS = Path(__file__).resolve().parents[1] / "results"
TURNS = ["What does stats.py do?", "Which test covers mean()?", "Is mean([2, 4, 6]) correct now? Answer briefly."]
AFTER_RESUME = "Summarise what we found in one sentence."


def make_repo(root: Path) -> Path:
    with resources.as_file(resources.files("smallcoder").joinpath("examples", "mean_bug")) as src:
        shutil.copytree(src, root, ignore=shutil.ignore_patterns("__pycache__"))
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for args in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-q", "-m", "example"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


class Probe:
    """Stream callback and observer: when the first piece of each request arrived, and each call's figures."""

    def __init__(self) -> None:
        self.first_piece: float | None = None
        self.calls: list[dict[str, Any]] = []

    def on_text(self, piece: str) -> None:
        if self.first_piece is None and piece:
            self.first_piece = time.perf_counter()

    def __call__(self, event: Event) -> None:
        if isinstance(event, ModelCalled):
            u = event.completion.usage
            self.calls.append({"step": event.step, "prompt_tokens": u.prompt_tokens, "cached_tokens": u.cached_tokens,
                               "reuse": u.cached_tokens / max(u.prompt_tokens, 1), "ttft_s": event.completion.ttft_s})


def timed_turn(chat: ChatSession, probe: Probe, text: str, label: str) -> dict[str, Any]:
    probe.first_piece, before = None, len(probe.calls)
    started = time.perf_counter()
    outcome = chat.send(text)
    calls = probe.calls[before:]
    first = calls[0] if calls else {}
    to_first_piece = (probe.first_piece - started) if probe.first_piece else None
    overhead = to_first_piece - first["ttft_s"] if to_first_piece is not None and first.get("ttft_s") else None
    return {"turn": label, "status": outcome.status, "calls": calls, "to_first_piece_s": to_first_piece,
            "engine_ttft_s": first.get("ttft_s"), "overhead_s": overhead,
            "overhead_share": overhead / to_first_piece if overhead is not None and to_first_piece else None,
            "first_call_reuse": first.get("reuse")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--ctx", type=int, default=8192)
    parser.add_argument("--max-steps", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="smallcoder-chat-bench-"))
    repo = make_repo(work / "repo")
    os.environ["SMALLCODER_HOME"] = str(work / "home")
    probe = Probe()
    config = load_config().with_flags(model=args.model, ctx=args.ctx)
    with open_session(config, Home.from_env(), stream=probe.on_text) as session:
        chat = ChatSession.start(session, repo, mode=Mode.PLAN, observers=[probe], max_steps=args.max_steps)
        specs = chat.agent.specs
        fixed = session.backend.count_tokens(chat.messages[:1], specs)
        system_only = session.backend.count_tokens(chat.messages[:1], [])
        model = session.backend.name
        turns: list[dict[str, Any]] = []
        write(model, args.ctx, fixed, system_only, turns)  # the fixed prompt needs no generation: kept first
        for i, text in enumerate(TURNS):
            turns.append(timed_turn(chat, probe, text, f"turn {i + 1}"))
            write(model, args.ctx, fixed, system_only, turns)
        run_id = chat.run_id
        chat.close()
        resumed = ChatSession.resume(session, run_id, observers=[probe], max_steps=args.max_steps)
        turns.append(timed_turn(resumed, probe, AFTER_RESUME, "after resume"))
        resumed.close()
    print(write(model, args.ctx, fixed, system_only, turns))


def write(model: str, ctx: int, fixed: int, system_only: int, turns: list[dict[str, Any]]) -> str:
    """Write chat.json and chat.md with what has been measured so far; returns the markdown."""
    later = [t["first_call_reuse"] for t in turns[1:] if t["first_call_reuse"] is not None]
    shares = [t["overhead_share"] for t in turns if t["overhead_share"] is not None]
    summary = {
        "model": model, "ctx": ctx, "fixed_prompt_tokens": fixed, "system_prompt_tokens": system_only,
        "tool_schema_tokens": fixed - system_only,
        "min_reuse_after_first_turn": min(later) if later else None,
        "reuse_after_resume": next((t["first_call_reuse"] for t in turns if t["turn"] == "after resume"), None),
        "max_overhead_share": max(shares) if shares else None,
        "note": "2-CPU machine shared by ~8 engineers: absolute times are noisy, ratios hold",
        "turns": turns,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "chat.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    lines = [f"# smallcoder chat — {model}, ctx {ctx}", "",
             f"Fixed prompt: {fixed} tokens (system {system_only}, tool schemas {fixed - system_only}); target ≤ 1,500.",
             "", "| turn | status | first piece (s) | engine TTFT (s) | chat overhead | KV reuse, first call |",
             "|---|---|---|---|---|---|"]
    for t in turns:
        share = f"{100 * t['overhead_share']:.1f}%" if t["overhead_share"] is not None else "–"
        reuse = f"{100 * t['first_call_reuse']:.1f}%" if t["first_call_reuse"] is not None else "–"
        first = f"{t['to_first_piece_s']:.2f}" if t["to_first_piece_s"] else "–"
        ttft = f"{t['engine_ttft_s']:.2f}" if t["engine_ttft_s"] else "–"
        lines.append(f"| {t['turn']} | {t['status']} | {first} | {ttft} | {share} | {reuse} |")
    lines += ["", summary["note"] + "."]
    (RESULTS / "chat.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
