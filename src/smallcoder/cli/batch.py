"""`smallcoder batch`: run many tasks (SWE-bench instances or task lines) with one or more models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from smallcoder.errors import SmallcoderError
from smallcoder.session.batch import BatchCounts, BatchSettings, run_batch
from smallcoder.session.batch_report import write_report
from smallcoder.session.batch_tasks import read_tasks


def _status(counts: BatchCounts) -> str:
    eta = counts.eta_s
    eta_text = f"{eta / 60:.0f} min" if eta is not None else "–"
    return (f"resolved {counts.resolved} · env errors {counts.env_errors} · errors {counts.errors} · "
            f"{counts.tokens:,} tokens · ETA {eta_text}")


def batch(
    tasks_file: Annotated[Path, typer.Argument(help="Tasks: JSONL of SWE-bench instances or {task, repo, test_cmd} lines.")],
    model: Annotated[Optional[list[str]], typer.Option("--model", "-m", help="Model spec; repeat to compare models side by side. 'gold' applies each task's own fix; 'predictions:FILE.jsonl' judges another tool's SWE-bench predictions.")] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Instances at once (locally: processes; with --ray: CPUs of a local Ray).")] = 1,
    ray: Annotated[Optional[str], typer.Option("--ray", help="Run on Ray: 'local' (start one here) or a cluster address (ray://HOST:10001, auto).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory: predictions, records, logs, report.")] = Path("batch-out"),
    resume: Annotated[bool, typer.Option("--resume", help="Continue a batch in --out: skip every instance already recorded.")] = False,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds one instance may take (fix + evaluation) before it is killed; the fix stops itself at 90% of it.")] = 1800.0,
    max_steps: Annotated[int, typer.Option("--max-steps", min=1, help="Most model calls per instance (per try).")] = 12,
    tries: Annotated[int, typer.Option("--tries", min=1, help="As `fix --tries`: start over while no try passes the instance's own tests.")] = 1,
    ctx: Annotated[Optional[int], typer.Option("--ctx", help="Context window in tokens.")] = None,
    no_eval: Annotated[bool, typer.Option("--no-eval", help="Only predict; do not run the hidden tests.")] = False,
    no_sandbox: Annotated[bool, typer.Option("--no-sandbox", help="Run the model's commands WITHOUT isolation.")] = False,
    retry: Annotated[Optional[list[str]], typer.Option("--retry", help="With --resume: run again the instances recorded with this outcome (error, timeout, env_error); repeatable.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N tasks of the file.")] = None,
) -> None:
    """Run `smallcoder fix` over every task, write SWE-bench predictions, judge them, and report."""
    tasks = read_tasks(tasks_file)[:limit] if limit else read_tasks(tasks_file)
    models = model or []
    if retry and not resume:
        raise SmallcoderError("--retry continues a batch: pass it with --resume")
    if not models:
        raise SmallcoderError("no model — pass --model SPEC (repeat it to compare models), or --model gold")
    settings = BatchSettings(out=out.resolve(), models=models, workers=workers, time_limit_s=time_limit,
                             max_steps=max_steps, tries=tries, ctx=ctx, no_sandbox=no_sandbox, evaluate=not no_eval,
                             ray_address=ray, retry=tuple(retry or ()))
    console = Console(stderr=True)
    columns = (TextColumn("[bold]batch"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=console, transient=False) as bar:
        job = bar.add_task("starting", total=len(tasks) * len(models))

        def progress(record: dict[str, Any], counts: BatchCounts) -> None:
            colour = {"resolved": "green", "unresolved": "yellow"}.get(str(record.get("outcome")), "red")
            bar.console.print(f"[{colour}]{record.get('outcome'):>10}[/] {record['instance_id']} "
                              f"({record['model']}, {float(record.get('wall_s') or 0):.0f} s) "
                              f"{str(record.get('reason') or '')[:80]}", highlight=False)
            bar.update(job, completed=counts.skipped + counts.done, description=_status(counts))

        counts = run_batch(tasks, settings, base_dir=tasks_file.resolve().parent, resume=resume,
                           progress=progress)
        bar.update(job, completed=counts.skipped + counts.done, description=_status(counts))
    md, page = write_report(settings.out)
    console.print(f"{counts.done} run now, {counts.skipped} already done · predictions: "
                  f"{settings.out}/<model>/predictions.jsonl · report: {md}, {page}")
