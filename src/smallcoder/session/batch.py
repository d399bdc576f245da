"""`smallcoder batch`: many instances × one or more models, in parallel, resumable, never losing work.

    tasks × models ─► pending jobs (minus those already recorded, with --resume)
                   ─► N local workers (threads, each running one child process per instance)
                      or Ray tasks (ray_pool.py; a local instance or a cluster address)
                   ─► each record written the moment its instance ends (batch_records.py)
                   ─► report (batch_report.py)

Each instance runs in its own process with its own checkout and worktree and opens its own
session; several workers may share one model server (`--model openai:URL#NAME`) or each load
an embedded GGUF model.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from smallcoder.errors import SmallcoderError
from smallcoder.session.batch_instance import Job
from smallcoder.session.batch_predictions import is_predictions, predictions_label
from smallcoder.session.batch_process import kill_all, run_in_subprocess
from smallcoder.session.batch_records import BatchOutput
from smallcoder.session.batch_tasks import BatchTask

Progress = Callable[[dict[str, Any], "BatchCounts"], None]


def model_label(spec: str) -> str:
    """A model's name in paths and reports: the served name after `#`, else the last path part without
    `.gguf`/`.json` (`scripted:` and `hf:` kept as a prefix), made file-safe; for `predictions:FILE`, the name
    the predictions give (batch_predictions.py) after `predictions-`. Raises SmallcoderError for an unreadable
    predictions file."""
    if is_predictions(spec):
        return "predictions-" + re.sub(r"[^A-Za-z0-9._-]+", "_", predictions_label(spec)).strip("_.")[:68]
    name = spec.rstrip("/")
    if "#" in name:
        name = name.rsplit("#", 1)[1]
    elif "/" in name:
        prefix = name.split(":", 1)[0] + "-" if name.startswith(("scripted:", "hf:")) else ""
        name = prefix + name.rsplit("/", 1)[1]
    name = name.removesuffix(".gguf").removesuffix(".json")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_.")[:80] or "model"


@dataclass
class BatchSettings:
    """How a batch runs. Times in seconds."""

    out: Path
    models: list[str]
    workers: int = 1
    time_limit_s: float = 1800.0  # per instance, fix + evaluation
    max_steps: int = 12
    tries: int = 1  # fix --tries
    ctx: int | None = None
    no_sandbox: bool = False
    evaluate: bool = True
    test_timeout_s: float = 300.0
    ray_address: str | None = None  # None: local processes; "local": a Ray instance started here
    keep_checkout: bool = False
    retry: tuple[str, ...] = ()  # with resume: outcomes to run again (e.g. "error", "timeout")


@dataclass
class BatchCounts:
    """Running totals for the progress bar."""

    total: int
    skipped: int = 0  # already recorded (resume)
    done: int = 0
    resolved: int = 0
    env_errors: int = 0
    errors: int = 0  # our own failures and timeouts
    tokens: int = 0
    started: float = field(default_factory=time.monotonic)

    def add(self, record: dict[str, Any]) -> None:
        self.done += 1
        outcome = record.get("outcome")
        self.resolved += outcome == "resolved"
        self.env_errors += outcome == "env_error"
        self.errors += outcome in ("error", "timeout")
        self.tokens += int(record.get("prompt_tokens") or 0) + int(record.get("completion_tokens") or 0)

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace so far (None before the first instance ends)."""
        if not self.done:
            return None
        pace = (time.monotonic() - self.started) / self.done
        return pace * (self.total - self.skipped - self.done)


def plan_jobs(tasks: list[BatchTask], settings: BatchSettings, output: BatchOutput, base_dir: Path) -> list[Job]:
    """The jobs still to run: every (task, model) pair without a record, model by model in task order."""
    jobs = []
    labels = [model_label(m) for m in settings.models]
    if len(set(labels)) != len(labels):
        raise SmallcoderError(f"two --model values share the name {labels!r} — rename a file so they differ")
    for spec, label in zip(settings.models, labels):
        done = output.done(label, retry=settings.retry)
        for task in tasks:
            if task.instance_id in done:
                continue
            jobs.append(Job(task=task.to_json(), model=spec, label=label, out=str(settings.out),
                            base_dir=str(base_dir), max_steps=settings.max_steps, tries=settings.tries, ctx=settings.ctx,
                            no_sandbox=settings.no_sandbox, evaluate=settings.evaluate,
                            test_timeout_s=settings.test_timeout_s, keep_checkout=settings.keep_checkout,
                            time_limit_s=settings.time_limit_s))
    return jobs


def run_batch(tasks: list[BatchTask], settings: BatchSettings, *, base_dir: Path, resume: bool = False,
              progress: Progress | None = None) -> BatchCounts:
    """Run every pending (task, model) job; returns the totals. Records are written as jobs end.

    Raises BatchOutputError when `settings.out` holds results and `resume` is False, and
    SmallcoderError when Ray is asked for but not installed.
    """
    if settings.workers < 1:
        raise SmallcoderError("--workers must be at least 1")
    output = BatchOutput(settings.out)
    output.start({**asdict(settings), "tasks": len(tasks)}, resume=resume)
    jobs = plan_jobs(tasks, settings, output, base_dir)
    counts = BatchCounts(total=len(tasks) * len(settings.models))
    counts.skipped = counts.total - len(jobs)

    def finished(record: dict[str, Any]) -> None:
        output.write(record)  # durable before it is counted
        counts.add(record)
        if progress:
            progress(record, counts)

    if settings.ray_address:
        from smallcoder.session.ray_pool import run_on_ray

        run_on_ray(jobs, settings.time_limit_s, settings.ray_address, settings.workers, finished)
    else:
        _run_local(jobs, settings.time_limit_s, settings.workers, finished)
    output.finish()  # a retried instance keeps one prediction line: its latest
    _remove_empty(settings.out / "work")
    _remove_empty(settings.out / "jobs")
    return counts


def _remove_empty(folder: Path) -> None:
    """Remove `folder`'s empty subfolders (scratch places of finished instances), then itself if empty."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    if not any(folder.iterdir()):
        folder.rmdir()


def _run_local(jobs: list[Job], time_limit_s: float, workers: int, finished: Callable[[dict[str, Any]], None]) -> None:
    """Up to `workers` child processes at once; results handed to `finished` in the main thread."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch") as pool:
        pending: set[Future[dict[str, Any]]] = {pool.submit(run_in_subprocess, job, time_limit_s) for job in jobs}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    finished(future.result())
        except BaseException:
            for future in pending:
                future.cancel()
            kill_all()  # the running instances end too; their records were not written, --resume reruns them
            raise
