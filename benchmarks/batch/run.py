"""Batch throughput: tasks/hour with 1, 2 and 4 workers against one model server, and the runner's overhead.

    python benchmarks/batch/run.py [--model PATH.gguf] [--tasks 4] [--workers 1 2 4]

- One `python -m llama_cpp.server` (n_ctx 4096) serves every worker (`--model openai:URL`), as a
  team would share one GPU server; each worker is a process with its own checkout and worktree.
- Tasks: a small generated project with one bug, repeated under distinct ids (the same work each
  time, so the worker counts are compared on equal tasks). `--max-steps` (default 3), no hidden tests.
- Runner overhead: the same tasks with `--model gold --no-eval` (checkout, process, record; no
  model, no tests), per task.

Writes benchmarks/results/batch.json and batch.md; a configuration already measured is skipped
(delete it from the JSON to measure again). Timings on a loaded, shared machine are noisy:
compare the rows of one run, and read the recorded load average.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from smallcoder.session.batch import BatchSettings, run_batch
from smallcoder.session.batch_tasks import BatchTask

RESULTS = Path(__file__).resolve().parents[1] / "results"
MODEL = Path.home() / ".cache/smallcoder-test-models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
STATS = '''def mean(values):
    return sum(values) / (len(values) - 1)


def spread(values):
    return max(values) - min(values)
'''
REPORT = '''from stats import mean, spread


def summary(values):
    return f"mean={mean(values)} spread={spread(values)}"
'''
TESTS = '''from stats import mean
from report import summary


def test_mean():
    assert mean([2, 4, 6]) == 4


def test_summary():
    assert summary([1, 3]) == "mean=2.0 spread=2"
'''


def make_repo(root: Path) -> Path:
    repo = root / "project"
    repo.mkdir(parents=True)
    for name, text in {"stats.py": STATS, "report.py": REPORT, "test_stats.py": TESTS}.items():
        (repo / name).write_text(text)
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for args in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-q", "-m", "project"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    return repo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(model: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--n_ctx", "4096",
                             "--port", str(port), "--host", "127.0.0.1"], stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"llama_cpp.server exited; see {log}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"llama_cpp.server not ready; see {log}")


def measure(name: str, tasks: list[BatchTask], spec: str, workers: int, work: Path, base: Path,
            max_steps: int = 3) -> dict[str, object]:
    out = work / name
    settings = BatchSettings(out=out, models=[spec], workers=workers, max_steps=max_steps, evaluate=False,
                             time_limit_s=900)
    started = time.perf_counter()
    records: list[dict[str, object]] = []
    run_batch(tasks, settings, base_dir=base, progress=lambda r, c: records.append(r))
    wall = time.perf_counter() - started
    per_task = [float(r.get("wall_s") or 0) for r in records]
    model_s = [float(r.get("run_s") or 0) for r in records]
    return {"name": name, "workers": workers, "tasks": len(tasks), "wall_s": round(wall, 1),
            "tasks_per_hour": round(len(tasks) / wall * 3600, 1),
            "mean_task_s": round(sum(per_task) / len(per_task), 2) if per_task else None,
            "mean_fix_s": round(sum(model_s) / len(model_s), 2) if model_s else None,
            "outcomes": sorted(str(r.get("outcome")) for r in records),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description="batch throughput")
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--max-steps", type=int, default=3)
    args = ap.parse_args()
    results_path = RESULTS / "batch.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {"runs": []}
    done = {r["name"] for r in results["runs"]}
    work = Path(tempfile.mkdtemp(prefix="smallcoder-batch-bench-"))
    repo = make_repo(work)
    tasks = [BatchTask(instance_id=f"mean-{i}", repo=str(repo), test_cmd="python -m pytest -q",
                       problem_statement="mean() is wrong: mean([2, 4, 6]) should be 4",
                       extra={"patch": ""}) for i in range(args.tasks)]

    def save(row: dict[str, object]) -> None:
        if row["outcomes"] and all(o == "error" for o in row["outcomes"]):  # type: ignore[union-attr]
            raise SystemExit(f"every task failed in {row['name']} — see the logs under {work}; nothing saved")
        results["runs"].append(row)
        results.update(machine=f"{os.cpu_count()} CPUs, shared with other engineers' jobs", model=args.model.name)
        RESULTS.mkdir(exist_ok=True)
        results_path.write_text(json.dumps(results, indent=2))
        print(json.dumps(row), flush=True)

    if "overhead" not in done:  # the runner alone: no model, no tests
        gold = [BatchTask(**{**t.__dict__, "extra": {"patch": "diff --git a/x b/x\n"}}) for t in tasks]
        save(measure("overhead", gold, "gold", 1, work, work))
    server, url = start_server(args.model, work / "server.log")
    try:
        for w in args.workers:
            if f"server-{w}w" not in done:
                save(measure(f"server-{w}w", tasks, f"openai:{url}", w, work, work, args.max_steps))
    finally:
        server.terminate()
        server.wait(timeout=30)
    write_markdown(results)


def write_markdown(results: dict[str, object]) -> None:
    runs = {r["name"]: r for r in results["runs"]}  # type: ignore[index]
    base = runs.get("server-1w", {}).get("tasks_per_hour")
    lines = ["# Batch throughput", "", f"Machine: {results.get('machine')}. Model server: llama_cpp.server with "
             f"{results.get('model')}. Timings are from a loaded machine: compare rows, not absolute values.", "",
             "| run | workers | tasks | wall (s) | tasks/hour | scaling vs 1 worker | mean task (s) | load 1m |",
             "|---|---|---|---|---|---|---|---|"]
    for r in runs.values():
        scale = f"{r['tasks_per_hour'] / base:.2f}×" if base and r["name"].startswith("server") else "–"
        lines.append(f"| {r['name']} | {r['workers']} | {r['tasks']} | {r['wall_s']} | {r['tasks_per_hour']} | "
                     f"{scale} | {r['mean_task_s']} | {r['load_avg_1m']} |")
    if "overhead" in runs:
        o = runs["overhead"]
        lines += ["", f"Runner overhead per task (no model, no tests): {o['wall_s'] / o['tasks']:.2f} s from the "
                      f"driver's view (process start, import, checkout, record), of which {o['mean_task_s']} s "
                      "inside the instance process (checkout, record)."]
    (RESULTS / "batch.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
