"""The batch report: one table per batch (every model side by side) in Markdown, and an HTML page with plots.

    OUT/report.md     summary per model, where the failed runs went wrong, then every instance's outcome
    OUT/report.html   the same tables and the plots, self-contained (SVG inline)

Resolve rate = resolved / (instances − environment errors): an instance whose tests cannot run
is not the model's failure, and is counted apart. Plots are drawn with matplotlib (the `report`
extra); without it the Markdown is still written and the HTML says how to get the plots.

Each failed run is given the stage where it went wrong (batch_diagnose.py). Records written before
they kept `gold_files` and `max_steps` borrow them from the batch: the gold pseudo-model's patch for
the same instance, and batch.json's step limit.
"""

from __future__ import annotations

import html
import io
import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smallcoder.session.batch_diagnose import (
    FAILURE_STAGES,
    LIMIT_STAGES,
    PATCH_STAGES,
    diagnose,
    patch_files,
    patch_left,
    stage_counts,
)
from smallcoder.session.batch_instance import GOLD
from smallcoder.session.batch_records import BatchOutput

OUTCOMES = ("resolved", "unresolved", "env_error", "timeout", "error", "not_evaluated")
STAGES_TITLE = "Where the failed runs went wrong"
STAGES_NOTE = ("no_patch: changed nothing · wrong_file: touched none of the gold patch's files · wrong_edit: "
               "a gold file, but FAIL_TO_PASS tests still fail · broke_tests: FAIL_TO_PASS pass, a PASS_TO_PASS "
               "test fails · out_of_steps / timeout: stopped at the step or time limit · unknown: the record "
               "lacks the evidence. The second table judges the patch that the runs stopped at a limit left "
               "(a killed run's patch is not collected: unknown).")


@dataclass
class ModelSummary:
    """Totals for one model. Times in seconds; tokens are prompt + completion."""

    label: str
    instances: int
    counts: dict[str, int]
    mean_tokens: float
    mean_wall_s: float
    mean_steps: float
    cache_reuse: float | None  # cached prompt tokens / prompt tokens (KV-cache reuse)
    stages: dict[str, int] = field(default_factory=dict)  # batch_diagnose stage → instances
    left_at_limit: dict[str, int] = field(default_factory=dict)  # runs stopped at a limit: patch_left → instances

    @property
    def judged(self) -> int:
        return self.instances - self.counts["env_error"] - self.counts["not_evaluated"]

    @property
    def resolve_rate(self) -> float | None:
        return self.counts["resolved"] / self.judged if self.judged else None


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def summarize(label: str, records: list[dict[str, Any]]) -> ModelSummary:
    """Totals over `records` (one model's). Instances that never reached the model add no tokens or steps."""
    counts = {o: sum(r.get("outcome") == o for r in records) for o in OUTCOMES}
    ran = [r for r in records if r.get("model_calls")]
    prompt = sum(int(r.get("prompt_tokens") or 0) for r in ran)
    cached = sum(int(r.get("cached_tokens") or 0) for r in ran)
    return ModelSummary(
        label, len(records), counts,
        _mean([int(r.get("prompt_tokens") or 0) + int(r.get("completion_tokens") or 0) for r in ran]),
        _mean([float(r.get("wall_s") or 0) for r in records]), _mean([float(r.get("steps") or 0) for r in ran]),
        cached / prompt if prompt else None, stage_counts(diagnose(r) for r in records),
        stage_counts((patch_left(r) for r in records if diagnose(r) in LIMIT_STAGES), PATCH_STAGES),
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def summary_rows(summaries: list[ModelSummary]) -> list[list[str]]:
    head = ["model", "instances", "resolved", "unresolved", "env errors", "timeouts", "errors", "resolve rate",
            "tokens/task", "time/task (s)", "steps/task", "KV-cache reuse"]
    rows = [head]
    for s in summaries:
        c = s.counts
        rows.append([s.label, str(s.instances), str(c["resolved"]), str(c["unresolved"]), str(c["env_error"]),
                     str(c["timeout"]), str(c["error"]), _pct(s.resolve_rate), f"{s.mean_tokens:,.0f}",
                     f"{s.mean_wall_s:.0f}", f"{s.mean_steps:.1f}", _pct(s.cache_reuse)])
    return rows


def stage_rows(summaries: list[ModelSummary]) -> list[list[str]]:
    """Per model, how many runs went wrong at each failure stage (batch_diagnose.py)."""
    rows = [["model", "not resolved", *FAILURE_STAGES]]
    for s in summaries:
        failed = [s.stages.get(stage, 0) for stage in FAILURE_STAGES]
        rows.append([s.label, str(sum(failed)), *(str(n) for n in failed)])
    return rows


def left_rows(summaries: list[ModelSummary]) -> list[list[str]]:
    """Per model, what the patches of the runs stopped at a step or time limit show (patch_left)."""
    rows = [["model", "stopped at a limit", *PATCH_STAGES]]
    for s in summaries:
        left = [s.left_at_limit.get(stage, 0) for stage in PATCH_STAGES]
        rows.append([s.label, str(sum(left)), *(str(n) for n in left)])
    return rows


def instance_rows(by_model: dict[str, list[dict[str, Any]]]) -> list[list[str]]:
    """One row per run; `patch left` judges the patch of a run stopped at a limit (else the stage says it)."""
    rows = [["instance", "model", "outcome", "went wrong at", "patch left", "tokens", "time (s)", "steps",
             "reason"]]
    for label, records in by_model.items():
        for r in sorted(records, key=lambda r: str(r["instance_id"])):
            tokens = int(r.get("prompt_tokens") or 0) + int(r.get("completion_tokens") or 0)
            reason = str(r.get("reason") or "").replace("|", "\\|").replace("\n", " ")[:100]
            stage = diagnose(r)
            rows.append([str(r["instance_id"]), label, str(r.get("outcome")),
                         stage if stage in FAILURE_STAGES else "–",
                         patch_left(r) if stage in LIMIT_STAGES else "–", f"{tokens:,}",
                         f"{float(r.get('wall_s') or 0):.0f}", str(r.get("steps") or 0), reason])
    return rows


def with_batch_evidence(out: Path, by_model: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Copies of the records, older ones given the `gold_files` and `max_steps` the batch still knows."""
    gold: dict[str, list[str]] = {}
    for r in by_model.get(GOLD, []):
        files = patch_files(str(r.get("model_patch") or ""))
        if files:
            gold[str(r["instance_id"])] = sorted(files)
    try:
        max_steps = json.loads((out / "batch.json").read_text(encoding="utf-8")).get("max_steps")
    except (OSError, ValueError, AttributeError):
        max_steps = None
    filled: dict[str, list[dict[str, Any]]] = {}
    for label, records in by_model.items():
        filled[label] = []
        for r in records:
            r = dict(r)
            if "gold_files" not in r and str(r.get("instance_id")) in gold:
                r["gold_files"] = gold[str(r["instance_id"])]
            if "max_steps" not in r and isinstance(max_steps, int) and label != GOLD:
                r["max_steps"] = max_steps
            filled[label].append(r)
    return filled


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def html_table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def plots(summaries: list[ModelSummary], by_model: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str]]:
    """(title, inline SVG) for each plot; raises ImportError when matplotlib is missing."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    labels = [s.label for s in summaries]
    figures: list[tuple[str, Any]] = []

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(labels, [100 * (s.resolve_rate or 0) for s in summaries], color="#4c72b0")
    ax.set_ylabel("resolved (%)")
    ax.set_ylim(0, 100)
    figures.append(("Resolve rate per model (environment errors excluded)", fig))

    for key, unit, title in (("tokens", "tokens", "Tokens per task"), ("wall_s", "seconds", "Time per task"),
                             ("steps", "steps", "Steps per task")):
        fig, ax = plt.subplots(figsize=(6, 3))
        data = []
        for label in labels:
            recs = by_model[label]
            values: list[float]
            if key == "tokens":
                values = [float(r.get("prompt_tokens") or 0) + int(r.get("completion_tokens") or 0) for r in recs]
            else:
                values = [float(r.get(key) or 0) for r in recs]
            data.append(values or [0])
        ax.boxplot(data, tick_labels=labels)
        ax.set_ylabel(unit)
        figures.append((title, fig))

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(labels, [100 * (s.cache_reuse or 0) for s in summaries], color="#55a868")
    ax.set_ylabel("prompt tokens from KV cache (%)")
    ax.set_ylim(0, 100)
    figures.append(("KV-cache reuse per model", fig))

    out = []
    for title, fig in figures:
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        plt.close(fig)
        svg = buf.getvalue()
        out.append((title, svg[svg.find("<svg"):]))
    return out


def write_report(out: Path, title: str = "smallcoder batch") -> tuple[Path, Path]:
    """Write OUT/report.md and OUT/report.html from every model's records; returns their paths."""
    output = BatchOutput(out)
    by_model = with_batch_evidence(out, {label: output.records(label) for label in output.labels()})
    summaries = [summarize(label, records) for label, records in by_model.items()]
    summary, stages, instances = summary_rows(summaries), stage_rows(summaries), instance_rows(by_model)
    left = left_rows(summaries)
    note = ("Resolve rate = resolved / (instances − environment errors). Environment errors (the task's "
            "tests cannot run without any change) are not model failures.")
    md = out / "report.md"
    md.write_text(f"# {title}\n\n{note}\n\n{markdown_table(summary)}\n\n## {STAGES_TITLE}\n\n{STAGES_NOTE}\n\n"
                  f"{markdown_table(stages)}\n\n{markdown_table(left)}\n\n## Instances\n\n{markdown_table(instances)}\n", encoding="utf-8")
    try:
        figures = "".join(f"<h3>{html.escape(t)}</h3>{svg}" for t, svg in plots(summaries, by_model))
    except ImportError:
        figures = "<p>Plots need matplotlib: <code>pip install 'smallcoder[report]'</code></p>"
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>"
            "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(note)}</p>{html_table(summary)}"
            f"<h2>{STAGES_TITLE}</h2><p>{html.escape(STAGES_NOTE)}</p>{html_table(stages)}{html_table(left)}"
            f"<h2>Plots</h2>{figures}<h2>Instances</h2>{html_table(instances)}</body></html>")
    page_path = out / "report.html"
    page_path.write_text(page, encoding="utf-8")
    return md, page_path
