"""Chat-format (SFT) examples: the agent's verified runs and the repository's own history.

Runs: every run in the store whose status is ``resolved`` and whose tests passed after the change
becomes one conversation, in the messages the agent sends (agent/loop.py): the system prompt, the
task prompt, then per step the model's raw reply (tool-call text included, as
backends/embedded.py sends it back) and the tool observations or format corrections. The store keeps
the task, replies and observations but not the code excerpts of the first prompt, so the task prompt
is rebuilt from the same template (prompts/task.j2) without them; ``source`` marks such rows.

History: each small non-merge commit becomes an edit task — its message and the files it touched as
they were before — answered by its diff.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smallcoder.agent.prompts import render
from smallcoder.dataset.hygiene import Removals, scrub
from smallcoder.store.runs import RunStore
from smallcoder.tools import default_tools, tool_specs
from smallcoder.types import ToolSpec

MAX_DIFF_CHARS = 6_000
MAX_FILES_CHARS = 12_000
MIN_MESSAGE_CHARS = 12


@dataclass
class ChatExample:
    """One conversation: ``messages`` as ``{"role", "content"}`` dicts, the OpenAI-shaped ``tools`` offered
    (empty when the template cannot take them and the tool instructions sit in the system prompt) and
    its ``source`` ("run:ID" or "commit:SHA")."""

    messages: list[dict[str, Any]]
    source: str
    tools: list[dict[str, Any]] = field(default_factory=list)


def wire_messages(messages: list[dict[str, Any]], specs: list[ToolSpec], template: str,
                  dialect: str = "hermes") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(messages, tools) as EmbeddedBackend.render hands them to the template: tools go to a template
    that reads ``tools``; otherwise their instructions are appended to the system prompt."""
    wire = [dict(m) for m in messages]
    if specs and "tools" in template:
        return wire, [t.as_openai() for t in specs]
    if specs and wire and wire[0]["role"] == "system":
        from smallcoder.protocol import render_tool_instructions

        wire[0]["content"] += "\n\n" + render_tool_instructions(specs, dialect)
    return wire, []


def run_conversation(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages of one stored run (``RunStore.get_run`` shape), in the agent's order."""
    run = detail["run"]
    before = next((t for t in detail["test_runs"] if t["phase"] == "before"), None)
    task = render("task", task=run["task"], test_command=run.get("test_command"),
                  tests_before=before and {"passed": bool(before["passed"])},
                  tests_before_output=(before or {}).get("output", "")[-2_500:], files=[], repo_map="", python=False)
    msgs: list[dict[str, Any]] = [{"role": "system", "content": render("system")}, {"role": "user", "content": task}]
    for call in detail["model_calls"]:
        step = call["step"]
        msgs.append({"role": "assistant", "content": call["text"] or ""})
        msgs += [{"role": "tool", "content": t["observation"]} for t in detail["tool_executions"] if t["step"] == step]
        msgs += [{"role": "user", "content": p["message"]} for p in detail["format_problems"] if p["step"] == step]
    return msgs


def from_runs(db: Path, template: str, dialect: str = "hermes", *,
              verified_only: bool = True) -> tuple[list[ChatExample], Removals]:
    """Examples from the verified runs in the store at ``db``; unverified runs are counted, not used.
    ``verified_only=False`` (calibration) takes every run with a reply: its tool calls are real either way."""
    removed = Removals()
    if not db.is_file():
        return [], removed
    specs = tool_specs(default_tools())
    out: list[ChatExample] = []
    with RunStore(db) as store:
        for row in store.list_runs(limit=None):
            verified = row.get("status") == "resolved" and bool(row.get("tests_after_passed"))
            if verified_only and not verified:
                removed.add("run not verified")
                continue
            msgs = run_conversation(store.get_run(row["id"]))
            if not any(m["role"] == "assistant" and m["content"].strip() for m in msgs):
                removed.add("run without replies")
                continue
            msgs, n = _scrub_all(msgs)
            removed.add("secrets masked", n)
            wire, tools = wire_messages(msgs, specs, template, dialect)
            out.append(ChatExample(wire, f"run:{row['id']}", tools))
    return out, removed


def _scrub_all(msgs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    total, out = 0, []
    for m in msgs:
        text, n = scrub(m["content"])
        total += n
        out.append({**m, "content": text})
    return out, total


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False).stdout.decode("utf-8", "replace")


def from_history(repo: Path, *, max_commits: int = 500) -> tuple[list[ChatExample], Removals]:
    """Edit tasks from the newest ``max_commits`` non-merge commits of ``repo``'s HEAD.

    Left out (and counted): root commits, messages shorter than MIN_MESSAGE_CHARS, diffs over
    MAX_DIFF_CHARS or with binary parts, and commits whose files exceed MAX_FILES_CHARS.
    """
    removed = Removals()
    log = _git(repo, "log", "--no-merges", f"--max-count={max_commits}", "--format=%H%x00%P%x00%B%x1e")
    out: list[ChatExample] = []
    for entry in log.split("\x1e"):
        parts = entry.strip("\n").split("\x00")
        if len(parts) < 3:
            continue
        sha, parents, message = parts[0].strip(), parts[1].split(), parts[2].strip()
        if not parents:
            removed.add("root commit")
            continue
        if len(message) < MIN_MESSAGE_CHARS:
            removed.add("short commit message")
            continue
        diff = _git(repo, "diff", "--no-color", "--no-ext-diff", f"{parents[0]}..{sha}")
        if not diff.strip() or len(diff) > MAX_DIFF_CHARS or "Binary files" in diff:
            removed.add("diff too large, empty or binary")
            continue
        names = [n for n in _git(repo, "diff", "--name-only", "--diff-filter=MD", f"{parents[0]}..{sha}").split("\n") if n]
        files = [{"path": n, "text": _git(repo, "show", f"{parents[0]}:{n}")} for n in names]
        if sum(len(f["text"]) for f in files) > MAX_FILES_CHARS:
            removed.add("files too large")
            continue
        prompt = render("dataset_edit_task", message=message, files=files)
        msgs, n = _scrub_all([{"role": "user", "content": prompt}, {"role": "assistant", "content": diff}])
        removed.add("secrets masked", n)
        out.append(ChatExample(msgs, f"commit:{sha}"))
    return out, removed


def dedupe(examples: list[ChatExample], keep: Any) -> list[ChatExample]:
    """Examples whose conversation text ``keep`` accepts (a hygiene.Deduplicator.keep)."""
    return [e for e in examples if keep(json.dumps(e.messages, ensure_ascii=False))]


def sample_conversation(template: str, dialect: str = "hermes") -> ChatExample:
    """A short agent conversation (system prompt, task, a tool call in ``dialect``, its result, a final
    call) in the agent's own wording, for `dataset check` when no dataset is given."""
    from smallcoder.protocol.render import render_tool_calls
    from smallcoder.types import ToolCall

    read = ToolCall("read_file", {"path": "stats.py"}, "call_1")
    done = ToolCall("submit", {"summary": "mean() divided by len(xs) - 1; now len(xs)."}, "call_2")
    task = render("task", task="mean([2, 4]) returns 6 instead of 3", test_command="python -m pytest -q",
                  tests_before=None, tests_before_output="", files=[], repo_map="", python=False)
    msgs = [{"role": "system", "content": render("system")}, {"role": "user", "content": task},
            {"role": "assistant", "content": render_tool_calls([read], dialect)},
            {"role": "tool", "content": "def mean(xs):\n    return sum(xs) / (len(xs) - 1)\n"},
            {"role": "assistant", "content": render_tool_calls([done], dialect)}]
    wire, tools = wire_messages(msgs, tool_specs(default_tools()), template, dialect)
    return ChatExample(wire, "sample", tools)
