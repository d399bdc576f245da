"""Benchmark result files (benchmarks/results/*.json) read into the figures the benchmarks page plots.

Formats read, as the runners in benchmarks/ write them:

- task-set summaries (humanevalfix-*.json, and batch reports of the same shape): `tasks`, `resolved`,
  `resolve_rate`, `mean_prompt_tokens`, `mean_completion_tokens`, `mean_steps`, `total_wall_s`,
  `kv_cache_share`; any JSON object with `resolved` and `tasks` counts is taken as one.
- backends.json: `results[]` per backend with `ttft_s_median_first_step`, `ttft_s_median_later_steps`,
  `tokens_per_s_median`, `cache_reuse_share`, `resolved`, `tasks`.
- parsers.json: `intended_calls.<corpus>.<parser>_share_of_all`.
- viewer.json (benchmarks/viewer/run.py): `runs[]` with `steps`, `browser_load_median_s`, `server_median_s`.

- batch output directories (`smallcoder batch`, session/batch_records.py): OUT/batch.json and one
  OUT/<model>/records.jsonl per model; each model is one task set, its resolve rate as the batch
  report defines it (resolved / (instances − environment errors), session/batch_report.py). Found
  as subdirectories of the results directory holding a batch.json, or named with --batch.

A file that is not JSON or has none of these shapes is listed as skipped with the reason, never dropped
silently. Derived figures: tokens per resolved task = (mean prompt + mean completion tokens) × tasks ÷
resolved; time per step = total wall time ÷ (mean steps × tasks).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TaskSetResult:
    """One run of a task set (a benchmark configuration or a batch)."""

    name: str
    source: str  # file name, relative to the results directory
    model: str
    tasks: int
    resolved: int
    resolve_rate: float
    tokens_per_resolved: float | None
    seconds_per_step: float | None
    kv_cache_share: float | None
    date: str
    notes: str


@dataclass(frozen=True)
class BackendResult:
    name: str
    ttft_first_s: float | None
    ttft_later_s: float | None
    tokens_per_s: float | None
    cache_reuse_share: float | None
    resolved: int
    tasks: int


@dataclass
class BenchResults:
    """What was found under a results directory."""

    directory: Path | None
    task_sets: list[TaskSetResult] = field(default_factory=list)
    backends: list[BackendResult] = field(default_factory=list)
    backends_source: str = ""
    parsers: dict[str, dict[str, float]] = field(default_factory=dict)  # corpus → parser → share of all
    viewer_pages: list[dict[str, Any]] = field(default_factory=list)  # viewer.json: load time by run length
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    @property
    def empty(self) -> bool:
        return not (self.task_sets or self.backends or self.parsers or self.viewer_pages)


def _num(d: dict[str, Any], key: str) -> float | None:
    v = d.get(key)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _task_set(name: str, source: str, d: dict[str, Any]) -> TaskSetResult | None:
    tasks_value = d.get("tasks")
    tasks = len(tasks_value) if isinstance(tasks_value, list) else tasks_value
    resolved_value = d.get("resolved")
    resolved = len(resolved_value) if isinstance(resolved_value, list) else resolved_value
    if not isinstance(tasks, int) or not isinstance(resolved, int) or tasks <= 0:
        return None
    prompt, completion = _num(d, "mean_prompt_tokens"), _num(d, "mean_completion_tokens")
    per_resolved = (prompt + completion) * tasks / resolved if prompt is not None and completion is not None \
        and resolved else None
    steps, wall = _num(d, "mean_steps"), _num(d, "total_wall_s")
    per_step = wall / (steps * tasks) if steps and wall is not None else None
    note = d.get("note") or ""
    off = d.get("switched_off")
    if isinstance(off, list) and off:
        note = f"switched off: {', '.join(map(str, off))}. {note}".strip()
    rate = _num(d, "resolve_rate")
    return TaskSetResult(
        name=name, source=source, model=str(d.get("model", "")), tasks=tasks, resolved=resolved,
        resolve_rate=rate if rate is not None else resolved / tasks, tokens_per_resolved=per_resolved,
        seconds_per_step=per_step, kv_cache_share=_num(d, "kv_cache_share"), date=str(d.get("date", "")),
        notes=note if isinstance(note, str) else "",
    )


def _backends(d: dict[str, Any]) -> list[BackendResult]:
    out = []
    for r in d.get("results", []):
        if isinstance(r, dict) and "backend" in r:
            out.append(BackendResult(
                name=str(r["backend"]), ttft_first_s=_num(r, "ttft_s_median_first_step"),
                ttft_later_s=_num(r, "ttft_s_median_later_steps"), tokens_per_s=_num(r, "tokens_per_s_median"),
                cache_reuse_share=_num(r, "cache_reuse_share"), resolved=int(r.get("resolved", 0)),
                tasks=int(r.get("tasks", 0)),
            ))
    return out


def _parsers(d: dict[str, Any]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for corpus, figures in (d.get("intended_calls") or {}).items():
        if not isinstance(figures, dict):
            continue
        shares = {k.removesuffix("_share_of_all"): float(v) for k, v in figures.items()
                  if k.endswith("_share_of_all") and isinstance(v, (int, float))}
        if shares:
            out[str(corpus)] = shares
    return out


def load_batch(out: Path) -> list[TaskSetResult]:
    """One task set per model of the batch output directory `out` (none when it holds no records)."""
    from smallcoder.session.batch_records import BatchOutput
    from smallcoder.session.batch_report import summarize

    output = BatchOutput(out)
    sets = []
    for label in output.labels():
        records = output.records(label)
        summary = summarize(label, records)
        judged, resolved = summary.judged, summary.counts["resolved"]
        if not judged:
            continue
        ran = [r for r in records if r.get("model_calls")]
        tokens = sum(int(r.get("prompt_tokens") or 0) + int(r.get("completion_tokens") or 0) for r in ran)
        steps = sum(int(r.get("steps") or 0) for r in ran)
        wall = sum(float(r.get("wall_s") or 0) for r in ran)
        skipped = summary.counts["env_error"] + summary.counts["not_evaluated"]
        sets.append(TaskSetResult(
            name=f"{out.name} · {label}", source=f"{out}/{label}/records.jsonl", model=label, tasks=judged,
            resolved=resolved, resolve_rate=resolved / judged, tokens_per_resolved=tokens / resolved if resolved
            else None, seconds_per_step=wall / steps if steps else None, kv_cache_share=summary.cache_reuse,
            date="", notes=f"batch: {summary.instances} instances, {skipped} not judged (environment errors or "
                           "not evaluated)" if skipped else f"batch: {summary.instances} instances",
        ))
    return sets


def load_results(directory: Path | None, batches: Sequence[Path] = ()) -> BenchResults:
    """Read every *.json directly under `directory` (per-task subfolders are the runners' own state),
    the batch directories among its subdirectories, and the batch directories in `batches`."""
    found = BenchResults(directory)
    batch_dirs = list(batches)
    if directory is not None and directory.is_dir():
        batch_dirs += sorted(p.parent for p in directory.glob("*/batch.json"))
    for out in batch_dirs:
        try:
            found.task_sets += load_batch(out)
        except (OSError, ValueError, KeyError, TypeError) as e:
            found.skipped.append((str(out), f"not a readable batch directory: {e}"))
    if directory is None or not directory.is_dir():
        return found
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            found.skipped.append((path.name, f"not readable JSON: {e}"))
            continue
        if not isinstance(data, dict):
            found.skipped.append((path.name, "not a JSON object"))
            continue
        task_set = _task_set(path.stem.removeprefix("humanevalfix-"), path.name, data)
        if task_set:
            found.task_sets.append(task_set)
        elif path.stem == "backends" or _backends(data):
            found.backends = _backends(data)
            found.backends_source = path.name
        elif _parsers(data):
            found.parsers = _parsers(data)
        elif data.get("benchmark") == "viewer-run-page" and isinstance(data.get("runs"), list):
            found.viewer_pages = [r for r in data["runs"] if isinstance(r, dict) and "steps" in r]
        else:
            found.skipped.append((path.name, "no figures this page plots (see its .md next to it)"))
    return found
