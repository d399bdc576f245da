"""Running one batch job in a child process with a hard time limit (local threads and Ray tasks alike).

The child runs in its own session (process group), so at the time limit the whole group — the
model, the test runs it started — is killed at once, and the instance is recorded as `timeout`.
A child that dies without a record (a crash, out of memory) is recorded as `error` with the tail
of its output. Either way the batch goes on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from smallcoder.session.batch_instance import Job
from smallcoder.session.batch_tasks import BatchTask

_LIVE: set[subprocess.Popen[bytes]] = set()  # children still running, for kill_all


def kill_all() -> None:
    """Kill every running instance process (the driver is stopping: Ctrl-C)."""
    for proc in list(_LIVE):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _tail(path: Path, n: int = 1500) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-n:]
    except OSError:
        return ""


def _child_env() -> dict[str, str]:
    """This environment with this interpreter's directory first on PATH: `python` in a task's test command
    is then the interpreter smallcoder runs in, even when its virtualenv is not activated."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_in_subprocess(job: Job, time_limit_s: float) -> dict[str, Any]:
    """Run `job` in `python -m smallcoder.session.batch_instance`; its record, or a timeout/error record.

    Shapes: the record dict of batch_instance.run_job. Times in seconds. Never raises for the
    instance's failures.
    """
    task = BatchTask.from_json(job.task)
    jobs = Path(job.out) / "jobs" / job.label
    jobs.mkdir(parents=True, exist_ok=True)
    job_path, record_path = jobs / f"{task.file_id}.json", jobs / f"{task.file_id}.record.json"
    stderr_path = jobs / f"{task.file_id}.stderr"
    record_path.unlink(missing_ok=True)
    job_path.write_text(json.dumps(asdict(job), ensure_ascii=False), encoding="utf-8")
    started = time.perf_counter()
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "smallcoder.session.batch_instance", str(job_path),
                                 str(record_path)], stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                start_new_session=True, env=_child_env())
        _LIVE.add(proc)
        try:
            code: int | None = proc.wait(timeout=time_limit_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            code = None
        except BaseException:  # Ctrl-C or the driver ending: take the child with us
            _kill_group(proc)
            raise
        finally:
            _LIVE.discard(proc)
    base = {"instance_id": task.instance_id, "model": job.label, "model_name_or_path": job.label,
            "model_spec": job.model, "model_patch": "", "wall_s": round(time.perf_counter() - started, 2),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "host": os.uname().nodename}
    if code is None:
        return {**base, "outcome": "timeout", "reason": f"killed at the time limit ({time_limit_s:.0f} s)"}
    if record_path.exists():
        record: dict[str, Any] = json.loads(record_path.read_text(encoding="utf-8"))
        record_path.unlink(missing_ok=True)
        job_path.unlink(missing_ok=True)
        stderr_path.unlink(missing_ok=True)
        return record
    how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
    last = (_tail(stderr_path).strip().splitlines() or [""])[-1]
    return {**base, "outcome": "error", "reason": f"the instance process {how} without a record: {last}".strip()}
