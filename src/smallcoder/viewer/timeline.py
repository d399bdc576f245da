"""One run's record (RunReader.detail / RunStore.get_run) turned into a per-step timeline.

Pure functions over the stored dicts: nothing here reads the database or renders HTML.
Times are seconds, tokens are counts as the backend reported them.

Per model call the store keeps the latency (request to last token), the time to
first token (prompt processing plus queueing) and the decode speed; decode time
is latency minus time to first token. Tool time and test time are the recorded
durations of the step's tool executions and test runs; the loop runs the tests right after an
edit, inside that edit's tool call (agent/loop.py), so tool time here is the tool's own share:
the recorded tool durations minus the step's test time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median
from typing import Any

# A prompt that shrinks by more than this share between two calls of one attempt was compacted:
# prompts are append-only otherwise (agent/loop.py compacts once when the window is full).
_COMPACTION_SHRINK = 0.8


@dataclass
class Item:
    """One thing that happened in a step: kind is model, tool, test, format, fresh (the record is `data`)."""

    kind: str
    data: dict[str, Any]


@dataclass
class Step:
    """Everything recorded under one step number, with its timing and token figures."""

    number: int
    items: list[Item] = field(default_factory=list)
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    ttft_s: float | None = None
    decode_s: float | None = None
    model_s: float = 0.0
    tool_s: float = 0.0
    test_s: float = 0.0
    tokens_per_s: float | None = None
    compacted: bool = False  # inferred: the prompt shrank (see _COMPACTION_SHRINK)
    tests_passed: bool | None = None  # the last test run of the step, if any

    @property
    def total_s(self) -> float:
        return self.model_s + self.tool_s + self.test_s

    @property
    def uncached_tokens(self) -> int:
        return max(0, self.prompt_tokens - self.cached_tokens)

    @property
    def cache_share(self) -> float | None:
        return self.cached_tokens / self.prompt_tokens if self.prompt_tokens else None

    @property
    def kinds(self) -> set[str]:
        return {i.kind for i in self.items}

    def calls(self) -> list[dict[str, Any]]:
        """What was parsed from the model's output and executed in this step, in order."""
        return [i.data for i in self.items if i.kind == "tool"]


@dataclass
class Timeline:
    """The steps of one run plus the test runs outside any step (before and after)."""

    steps: list[Step]
    tests_before: list[dict[str, Any]]
    tests_after: list[dict[str, Any]]

    @property
    def max_step_s(self) -> float:
        return max((s.total_s for s in self.steps), default=0.0)

    def totals(self) -> dict[str, float | int | None]:
        """Sums over the steps, and medians of time to first token and decode speed."""
        ttfts = [s.ttft_s for s in self.steps if s.ttft_s is not None]
        speeds = [s.tokens_per_s for s in self.steps if s.tokens_per_s]
        return {
            "steps": len(self.steps),
            "model_s": sum(s.model_s for s in self.steps),
            "decode_s": sum(s.decode_s or 0.0 for s in self.steps),
            "ttft_s": sum(ttfts) if ttfts else None,
            "ttft_median_s": median(ttfts) if ttfts else None,
            "tokens_per_s_median": median(speeds) if speeds else None,
            "tool_s": sum(s.tool_s for s in self.steps),
            "test_s": sum(s.test_s for s in self.steps),
            "prompt_tokens": sum(s.prompt_tokens for s in self.steps),
            "cached_tokens": sum(s.cached_tokens for s in self.steps),
            "completion_tokens": sum(s.completion_tokens for s in self.steps),
            "format_problems": sum(1 for s in self.steps for i in s.items if i.kind == "format"),
            "fresh_attempts": sum(1 for s in self.steps for i in s.items if i.kind == "fresh"),
            "compactions": sum(1 for s in self.steps if s.compacted),
            "tool_calls": sum(len(s.calls()) for s in self.steps),
            "failed_tool_calls": sum(1 for s in self.steps for c in s.calls() if not c["ok"]),
        }


_KINDS = {"model_calls": "model", "test_runs": "test", "tool_executions": "tool",
          "format_problems": "format", "fresh_attempts": "fresh"}
# Records of one step written within the same millisecond keep the loop's order: the model call,
# then the tests an edit triggered (recorded before the edit's own record), then the tool call
# (ids are per table, so they cannot order across tables).
_ORDER = {kind: rank for rank, kind in enumerate(_KINDS.values())}


def build_timeline(detail: dict[str, Any]) -> Timeline:
    """Group a run's records by step, in recording order, and add up each step's figures."""
    rows: list[tuple[int, str, int, int, Item]] = []
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    for table, kind in _KINDS.items():
        for rec in detail.get(table, []):
            if table == "test_runs" and rec["phase"] in ("before", "after"):
                (before if rec["phase"] == "before" else after).append(rec)
                continue
            rows.append((rec["step"], rec["recorded_at"], _ORDER[kind], rec["id"], Item(kind, rec)))
    steps: dict[int, Step] = {}
    for number, _, _, _, item in sorted(rows, key=lambda r: r[:4]):
        step = steps.setdefault(number, Step(number))
        step.items.append(item)
        _add(step, item)
    ordered = [steps[n] for n in sorted(steps)]
    for step in ordered:
        step.tool_s = max(0.0, step.tool_s - step.test_s)  # the tests after an edit ran inside its call
    _mark_compactions(ordered)
    return Timeline(ordered, before, after)


def _add(step: Step, item: Item) -> None:
    d = item.data
    if item.kind == "model":
        step.prompt_tokens += d["prompt_tokens"]
        step.cached_tokens += d["cached_tokens"]
        step.completion_tokens += d["completion_tokens"]
        step.model_s += d["latency_s"] or 0.0
        ttft = d.get("ttft_s")
        if ttft is not None:
            step.ttft_s = (step.ttft_s or 0.0) + ttft
            step.decode_s = (step.decode_s or 0.0) + max(0.0, (d["latency_s"] or 0.0) - ttft)
        if d.get("tokens_per_s"):
            step.tokens_per_s = d["tokens_per_s"]
    elif item.kind == "tool":
        step.tool_s += d["duration_s"] or 0.0
    elif item.kind == "test":
        step.test_s += d["duration_s"] or 0.0
        step.tests_passed = bool(d["passed"])


def _mark_compactions(steps: list[Step]) -> None:
    """A step whose prompt is much shorter than the previous call's, with no fresh attempt in between."""
    previous = 0
    for step in steps:
        if step.prompt_tokens and previous and step.prompt_tokens < previous * _COMPACTION_SHRINK:
            step.compacted = True
        if step.prompt_tokens:
            previous = step.prompt_tokens
        if "fresh" in step.kinds:
            previous = 0  # the next step starts over from the first prompt: a short prompt is expected
