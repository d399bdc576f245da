"""Scale-out on Ray: one Ray task per instance, each running the same child process as a local worker.

`address` is `local` (start a Ray instance on this machine with `workers` CPUs — what the tests
use) or a cluster address (`ray://HEAD:10001`, or `auto` inside a cluster); the code path after
`ray.init` is the same. Each task needs 1 CPU, so Ray runs as many at once as the cluster has
CPUs (locally: `workers`). Results come back to the driver as they finish and are written there,
into one output directory and one report. On a cluster, OUT must be a path every node can write
(a shared disk) for the logs; the records travel through Ray either way.

Needs the `ray` extra: `pip install 'smallcoder[ray]'`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Callable

from smallcoder.errors import SmallcoderError
from smallcoder.session.batch_instance import Job


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise SmallcoderError("Ray is not installed — pip install 'smallcoder[ray]' (or drop --ray)") from None
    return ray


def _remote_run(job: dict[str, Any], time_limit_s: float) -> dict[str, Any]:
    # Imported in the Ray worker, which may be another machine with smallcoder installed.
    from smallcoder.session.batch_process import run_in_subprocess

    return run_in_subprocess(Job(**job), time_limit_s)


def _result(ray: Any, ref: Any, job: Job) -> dict[str, Any]:
    """The task's record, or an error record naming the instance when the Ray task itself failed."""
    try:
        record: dict[str, Any] = ray.get(ref)
        return record
    except Exception as e:  # RayTaskError, WorkerCrashedError...: the instance failed, the batch goes on
        first = (str(e).strip().splitlines() or [type(e).__name__])[-1]
        return {"instance_id": job.task["instance_id"], "model": job.label, "model_name_or_path": job.label,
                "model_spec": job.model, "model_patch": "", "outcome": "error", "reason": f"Ray task failed: {first}"}


def run_on_ray(jobs: list[Job], time_limit_s: float, address: str, workers: int,
               finished: Callable[[dict[str, Any]], None]) -> None:
    """Run `jobs` as Ray tasks; `finished(record)` is called in this process as each one ends.

    Raises SmallcoderError when Ray is missing or the cluster cannot be reached.
    """
    ray = _ray()
    started_here = not ray.is_initialized()
    if started_here:
        try:
            if address == "local":
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=address, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise SmallcoderError(f"cannot start or reach Ray at {address}: {e}") from None
    remote = ray.remote(num_cpus=1, max_retries=0)(_remote_run)
    by_ref = {remote.remote(asdict(job), time_limit_s): job for job in jobs}
    pending = list(by_ref)
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                finished(_result(ray, ref, by_ref[ref]))
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)  # kills the worker, whose instance process then ends with it
        raise
    finally:
        if started_here:
            ray.shutdown()
