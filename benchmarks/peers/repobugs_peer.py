"""What every peer runner on the repobugs dev set shares (aider_repobugs.py, miniswe_repobugs.py).

The tasks, each task's checkout and test environment (smallcoder's own batch checkout and environment
finder, so a peer works on exactly what smallcoder works on), the patch (the working tree against the base
commit), the resumable loop (one tasks/<id>.json a finished task, skipped on a rerun) and the predictions
file in SWE-bench's format that `smallcoder batch --model predictions:FILE` judges.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TASKS = HERE.parent / "repobugs" / "tasks.jsonl"
RESULTS = HERE.parent / "results"
TEST_TIMEOUT_S = 300  # one test run of the task's suite

# the keys of a task record that go on its predictions line: SWE-bench's three, then the numbers
# `batch --model predictions:` carries into its report
PREDICTION_KEYS = ("instance_id", "model_name_or_path", "model_patch", "run_s", "steps", "model_calls",
                   "prompt_tokens", "cached_tokens", "completion_tokens")


def load_tasks(path: Path, limit: int = 0) -> list[Any]:
    """The task file's lines as smallcoder's BatchTask, the first `limit` only when limit > 0."""
    from smallcoder.session.batch_tasks import BatchTask

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [BatchTask.from_json(t) for t in lines[: limit or None]]


@dataclass
class Checkout:
    """One task's checkout of its base commit and the environment its tests run in."""

    repo: Path
    base: str
    test_env: dict[str, str]  # the task's variables and smallcoder's (its sources first on PYTHONPATH)
    test_command: str  # the task's, or the one smallcoder detects; "" when none

    def test_line(self, timeout: int = TEST_TIMEOUT_S) -> str:
        """The test command as one shell line carrying its own environment (a peer's own process keeps its
        imports: the project's packages never shadow the peer's), cut off after `timeout` seconds."""
        if not self.test_command:
            return ""
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.test_env.items())
        return f"env {env} timeout {timeout} {self.test_command}"


def check_out(task: Any, tasks_file: Path, work: Path) -> Checkout:
    """smallcoder's batch checkout of the task's base commit under work/repos/, and the test environment
    smallcoder's runs get there (its environment finder: the project's interpreter, its sources first)."""
    from smallcoder.session.batch_repo import checkout, source_url
    from smallcoder.session.preflight import prepare_worktree
    from smallcoder.workspace.find_env import find_environment

    repo = work / "repos" / task.file_id
    base = checkout(source_url(task.repo, tasks_file.parent), task.base_commit, repo, work / "cache")
    prep = prepare_worktree(find_environment(repo, None), repo, repo, task.test_cmd)
    return Checkout(repo, base, {**task.env, **prep.run_env}, prep.test_command or "")


def working_tree_patch(repo: Path, base: str, exclude: tuple[str, ...] = ()) -> str:
    """The checkout's working tree against the base commit, new files included, less the pathspecs in
    `exclude` (a peer's own files). The peers commit nothing, so this is their whole change."""
    spec = ["--", ".", *(f":(exclude){p}" for p in exclude)]
    subprocess.run(["git", "add", "-A", *spec], cwd=repo, check=True, capture_output=True)
    return subprocess.run(["git", "diff", "--cached", base], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@contextlib.contextmanager
def closed_network() -> Iterator[str]:
    """A proxy URL that refuses every connection at once: a bound loopback port that never listens. Give it
    as HTTP(S)_PROXY (loopback exempt) and a peer's attempts to reach the internet fail fast, never hang."""
    with socket.socket() as blackhole:
        blackhole.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{blackhole.getsockname()[1]}"


def run_pending(tasks: list[Any], out_dir: Path, fresh: bool, run_one: Callable[[Any], dict[str, Any]],
                saved: Callable[[], None] | None = None) -> None:
    """run_one on every task without a record in out_dir/tasks (on all of them when fresh); each record is
    written the moment its task ends, then `saved` runs (e.g. to rewrite the predictions file)."""
    (out_dir / "tasks").mkdir(parents=True, exist_ok=True)
    for i, task in enumerate(tasks, 1):
        path = out_dir / "tasks" / f"{task.file_id}.json"
        if path.exists() and not fresh:
            continue
        record = run_one(task)
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"[{i}/{len(tasks)}] {task.instance_id}: {record['status']} in {record['run_s']} s, "
              f"{len(record['model_patch'])} patch chars, {record.get('model_calls', '?')} calls", flush=True)
        if saved:
            saved()


def write_predictions(out_dir: Path, run_info: dict[str, Any], script: str, quiet: bool = False) -> None:
    """Every saved task as one predictions line (SWE-bench's keys first) in out_dir/predictions.jsonl, and
    out_dir/run.json: run_info, the task count, the date, the command line and the statuses."""
    records = [json.loads(p.read_text()) for p in sorted((out_dir / "tasks").glob("*.json"))]
    with (out_dir / "predictions.jsonl").open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps({k: r[k] for k in PREDICTION_KEYS if k in r}) + "\n")
    (out_dir / "run.json").write_text(json.dumps({
        **run_info, "tasks": len(records), "date": time.strftime("%Y-%m-%d"),
        "command": shlex.join(["python", f"benchmarks/peers/{script}", *sys.argv[1:]]),
        "statuses": {s: sum(r["status"] == s for r in records) for s in sorted({r["status"] for r in records})},
    }, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        print(f"{len(records)} predictions in {out_dir / 'predictions.jsonl'}")


def add_run_arguments(ap: argparse.ArgumentParser, peer: str) -> None:
    """The options every repobugs peer runner takes: model and server, tasks, budget, where results go."""
    ap.add_argument("--model", type=Path, required=True, help="the GGUF file to serve")
    ap.add_argument("--name", required=True, help=f"results go to <results>/repobugs-{peer}-<name>/")
    ap.add_argument("--tasks", type=Path, default=TASKS)
    ap.add_argument("--limit", type=int, default=0, help="only the first N tasks (0: all)")
    ap.add_argument("--budget", type=float, default=600, help=f"wall-clock seconds per task ({peer} is killed then)")
    ap.add_argument("--max-tokens", type=int, default=2048, help="cap on each reply")
    ap.add_argument("--n-ctx", type=int, default=8192, help="as benchmarks/repobugs/run.sh gives smallcoder")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--server-url", help="reuse a running OpenAI-compatible server instead of starting one")
    ap.add_argument("--server-log", type=Path, help="with --server-url: its log, to count tokens")
    ap.add_argument("--alias", help="model name the server answers to (default: the GGUF's stem)")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--work", type=Path, help=f"checkouts and logs (default /tmp/repobugs-{peer}-<name>)")
    ap.add_argument("--fresh", action="store_true", help="redo tasks that already have a result")


def prepare_run(args: argparse.Namespace, peer: str) -> Path:
    """Resolve the shared options in place and make the folders; the results folder."""
    args.model = args.model.expanduser().resolve()
    args.alias = args.alias or args.model.stem
    args.work = (args.work or Path(f"/tmp/repobugs-{peer}-{args.name}")).resolve()
    out_dir: Path = args.results / f"repobugs-{peer}-{args.name}"
    (out_dir / "tasks").mkdir(parents=True, exist_ok=True)
    (args.work / "logs").mkdir(parents=True, exist_ok=True)
    return out_dir


def run_with_budget(cmd: list[str], cwd: Path, env: dict[str, str], log: Path, budget: float,
                    kill: Callable[[subprocess.Popen[bytes]], None], poll_s: float) -> tuple[str, int | None, float]:
    """Run a peer's command (its output to `log`) until it exits or `budget` seconds pass, then `kill`
    it; ("exited" | "error" | "timed_out", its exit code (None if killed), wall seconds)."""
    status = "exited"
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        while proc.poll() is None:
            if time.perf_counter() - started > budget:
                status = "timed_out"
                kill(proc)
                break
            time.sleep(poll_s)
    if proc.returncode not in (0, None) and status == "exited":
        status = "error"
    return status, proc.returncode, time.perf_counter() - started
