"""One batch instance, start to finish, in its own process: checkout, fix, evaluate, one record.

    python -m smallcoder.session.batch_instance JOB.json RECORD.json

The batch driver (batch.py) or a Ray task (ray_pool.py) starts this process for each instance,
so a hang is ended by killing one process group, and a crash loses one instance, never the batch.
The record is written to RECORD.json only when the instance is complete.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any, TextIO

from smallcoder.errors import SmallcoderError, WorkspaceError
from smallcoder.session.batch_diagnose import gold_files
from smallcoder.session.batch_predictions import is_predictions, prediction_record
from smallcoder.session.batch_repo import checkout, source_url
from smallcoder.session.batch_tasks import BatchTask
from smallcoder.session.evaluate import ENV_ERROR, evaluate


@dataclass
class Job:
    """What one worker process needs: the task, the model spec, and the batch's settings (JSON-safe)."""

    task: dict[str, Any]
    model: str  # model spec, as given to --model
    label: str  # the model's name in paths and reports
    out: str  # the batch's output directory
    base_dir: str  # where relative repository paths in the task file start
    max_steps: int = 12
    tries: int = 1
    ctx: int | None = None
    no_sandbox: bool = False
    evaluate: bool = True
    test_timeout_s: float = 300.0
    keep_checkout: bool = False
    time_limit_s: float | None = None  # the driver's hard limit for the whole instance (batch_process.py)


# The share of the instance's time limit the fix itself may use (fix --time-limit), counted from the
# instance's start: the agent stops on its own before the driver kills the process, so the change it left
# is kept in the record and evaluated (a killed run's is lost). The rest is for the evaluation.
FIX_SHARE = 0.9


class EventLog:
    """An observer that writes each agent event as one line of the instance's log."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, event: object) -> None:
        body = asdict(event) if is_dataclass(event) and not isinstance(event, type) else repr(event)
        line = json.dumps(body, default=str, ensure_ascii=False)
        self.stream.write(f"{time.strftime('%H:%M:%S')} {type(event).__name__} {line[:4000]}\n")
        self.stream.flush()


GOLD = "gold"  # the pseudo-model whose patch is the task's own fix (`patch`): checks a task set without a model


def _fix(job: Job, task: BatchTask, repo: Path, log: EventLog, started: float) -> Any:
    """Run `smallcoder fix` on `repo` through the session front door, as a user's `fix` would, within
    FIX_SHARE of the instance's time limit counted from `started` (time.perf_counter())."""
    from smallcoder.agent.loop import AgentConfig
    from smallcoder.config import load_config
    from smallcoder.paths import Home
    from smallcoder.session.fix import FixOptions
    from smallcoder.session.setup import open_session

    config = load_config().with_flags(model=job.model, ctx=job.ctx, no_sandbox=job.no_sandbox)
    test_command = task.test_cmd
    if test_command and task.env:  # the task's variables reach the agent's test runs too
        test_command = " ".join(f"{k}={shlex.quote(v)}" for k, v in task.env.items()) + " " + test_command
    time_limit = None
    if job.time_limit_s:
        time_limit = max(1.0, job.time_limit_s * FIX_SHARE - (time.perf_counter() - started))
    options = FixOptions(test_command=test_command, agent=AgentConfig(max_steps=job.max_steps,
                                                                      time_limit_s=time_limit), tries=job.tries)
    with open_session(config, Home.from_env()) as session:
        if session.warning:
            log.stream.write(f"warning: {session.warning}\n")
        return session.fix(task.problem_statement, repo, options, observers=[log])


def _gold_record(task: BatchTask) -> dict[str, Any]:
    patch = task.extra.get("patch")
    if not isinstance(patch, str) or not patch.strip():
        raise SmallcoderError(f"{task.instance_id}: the task has no `patch` (its own fix) for --model gold")
    return {"model_patch": patch, "run_status": GOLD, "steps": 0, "model_calls": 0, "prompt_tokens": 0,
            "completion_tokens": 0, "cached_tokens": 0, "run_s": 0.0}


def _remove_run_worktree(result: Any, repo: Path) -> None:
    from smallcoder.workspace.worktree import remove_worktree

    try:
        remove_worktree(Path(result.worktree), repo)
    except (SmallcoderError, OSError):
        pass  # a leftover worktree costs disk, not results; `smallcoder clean` removes it


def run_job(job: Job) -> dict[str, Any]:
    """Run one instance; returns its record (never raises for the instance's own failures).

    `outcome` is resolved | unresolved | env_error | error. Tokens, steps and times come from the
    run; the verdict from the hidden tests when the task has them, else from the run's own tests.
    """
    task = BatchTask.from_json(job.task)
    out = Path(job.out)
    work = out / "work" / job.label / task.file_id
    logs = out / job.label / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cache = out / "cache"
    started = time.perf_counter()
    record: dict[str, Any] = {"instance_id": task.instance_id, "model": job.label, "model_name_or_path": job.label,
                              "model_spec": job.model, "model_patch": "", "outcome": "error", "reason": "",
                              "host": os.uname().nodename, "pid": os.getpid(), "max_steps": job.max_steps,
                              **({"tries": job.tries} if job.tries > 1 else {})}
    gold = gold_files(record, task)  # kept so the report can tell a wrong file without the task file
    if gold is not None:
        record["gold_files"] = sorted(gold)
    with open(logs / f"{task.file_id}.log", "w", encoding="utf-8") as stream:
        log = EventLog(stream)
        try:
            url = source_url(task.repo, Path(job.base_dir))
            repo = work / "repo"
            try:
                record["base_commit"] = checkout(url, task.base_commit, repo, cache)
            except WorkspaceError as e:  # the task's setup, not the model
                record.update(outcome=ENV_ERROR, reason=f"checkout failed: {e}")
                return _done(record, started)
            run_ok = True
            if job.model == GOLD:
                record.update(_gold_record(task))
            elif is_predictions(job.model):
                record.update(prediction_record(job.model, task.instance_id))
                run_ok = bool(record["model_patch"].strip())
            else:
                result = _fix(job, task, repo, log, started)
                run_ok = result.success
                record.update(run_id=result.run_id, run_status=result.status, run_reason=result.reason,
                              stop_reason=result.stop_reason, stop_message=result.stop_message,
                              model_patch=result.diff, steps=result.steps, model_calls=result.model_calls,
                              prompt_tokens=result.usage.prompt_tokens,
                              completion_tokens=result.usage.completion_tokens,
                              cached_tokens=result.usage.cached_tokens, run_s=round(result.wall_s, 2),
                              model_name=result.model)
                if not job.keep_checkout:
                    _remove_run_worktree(result, repo)
            if record.get("run_status") == "no prediction":
                record.update(outcome="unresolved", reason=record["run_reason"])
            elif job.evaluate and task.evaluable:
                t0 = time.perf_counter()
                verdict = evaluate(task, record["model_patch"], work, cache, base_dir=Path(job.base_dir),
                                   timeout=job.test_timeout_s)
                stream.write(f"--- evaluation: {verdict.verdict}: {verdict.reason}\n{verdict.log}\n")
                record.update(outcome=verdict.verdict, reason=verdict.reason, evaluation=verdict.to_json(),
                              eval_s=round(time.perf_counter() - t0, 2))
            elif job.model == GOLD or is_predictions(job.model):
                record.update(outcome="not_evaluated", reason="a given patch, not evaluated (--no-eval)")
            else:
                record.update(outcome="resolved" if run_ok else "unresolved",
                              reason=f"run: {record['run_status']} ({record.get('run_reason', '')})")
        except SmallcoderError as e:
            record.update(outcome="error", reason=str(e))
            stream.write(f"--- error: {e}\n")
        except Exception as e:  # our bug: the record says so, the batch goes on
            record.update(outcome="error", reason=f"{type(e).__name__}: {e}")
            stream.write(traceback.format_exc())
        finally:
            if not job.keep_checkout:
                shutil.rmtree(work, ignore_errors=True)
    return _done(record, started)


def _done(record: dict[str, Any], started: float) -> dict[str, Any]:
    record["wall_s"] = round(time.perf_counter() - started + float(record.get("run_elsewhere_s") or 0), 2)
    record["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return record


def _exit_with_parent() -> None:
    """End this process when the driver dies (kill -9): its result would have nowhere to go."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str]) -> int:
    job_path, record_path = Path(argv[0]), Path(argv[1])
    _exit_with_parent()
    job = Job(**json.loads(job_path.read_text(encoding="utf-8")))
    record = run_job(job)
    tmp = record_path.with_suffix(".partial")
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    tmp.rename(record_path)  # complete or absent, never half-written
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
