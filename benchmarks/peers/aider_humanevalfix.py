"""Run Aider on the HumanEvalFix dev set, side by side with smallcoder's own run.

    .venv/bin/python benchmarks/peers/aider_humanevalfix.py \\
        --model ~/.cache/smallcoder-test-models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \\
        --name qwen2.5-coder-1.5b --limit 40

Same tasks, checker, GGUF, context window and threads as benchmarks/humanevalfix/run.py. The model
is served by `python -m llama_cpp.server` on a loopback port (one server for every task, so its KV
cache stays warm, as smallcoder's single model instance does). Aider runs non-interactively in a
scratch git repo per task: whole-file edits, solution.py given on the command line, the task's tests
as --test-cmd with --auto-test, the issue text as --message, under a wall-clock budget.

Per task: benchmarks/results/humanevalfix-aider-<name>/tasks/<task>.json (a rerun resumes; --fresh
redoes). Summary: benchmarks/results/humanevalfix-aider-<name>.json and .md. Logs (the server's,
Aider's output, chat transcripts): <work>/logs/. Needs Aider installed by benchmarks/peers/setup.sh.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "humanevalfix"))

from tasks import load_tasks, make_repo, test_command, verify  # noqa: E402  (our checker, not a copy)

DEFAULT_TASKS = HERE.parents[1].parent / "shared" / "benchmarks" / "humanevalfix" / "python.jsonl"
RESULTS = HERE.parent / "results"
DEFAULT_AIDER = Path(os.environ.get("AIDER_VENV", "/work/peers/aider-venv")) / "bin" / "aider"
TEST_TIMEOUT_S = 30  # what smallcoder's benchmark gives a test run (run.py: test_timeout=30)
POLL_S = 0.1
IDLE_WAIT_S = 60  # how long a request left over from a task may still run before the server restarts

# llama-cpp-python's verbose log: a request starts with the prompt tokens reused from the KV cache and
# those evaluated, and ends with llama.cpp's timings (completion tokens = "eval ... runs") or, when its
# client has gone, "disconnected".
_SERVER_EVENT = re.compile(
    r"(?P<hit>\d+) prefix-match hit, remaining (?P<rest>\d+) prompt tokens to eval"
    r"|prompt eval time =\s*[\d.]+ ms /\s*(?P<evaluated>\d+) tokens.*\n.*?eval time =\s*[\d.]+ ms /\s*(?P<generated>\d+) runs"
    r"|^(?P<cut>disconnected)$", re.MULTILINE)
_REQUEST = re.compile(r'"POST /v1/chat/completions HTTP/1\.[01]" (\d{3})')
# Aider's own per-message report (its estimate when the server streams without usage)
_AIDER_TOKENS = re.compile(r"Tokens: ([\d.]+)(k?) sent, ([\d.]+)(k?) received")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="the GGUF file to serve")
    ap.add_argument("--name", required=True, help="results go to <results>/humanevalfix-aider-<name>.*")
    ap.add_argument("--tasks", type=Path, default=DEFAULT_TASKS)
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--budget", type=float, default=300, help="wall-clock seconds per task (Aider is killed then)")
    ap.add_argument("--aider", type=Path, default=DEFAULT_AIDER, help="the aider executable (setup.sh installs it)")
    ap.add_argument("--map-tokens", type=int, default=0,
                    help="Aider's repo map budget; 0 = off, only the file given on the command line")
    ap.add_argument("--max-tokens", type=int, default=2048,
                    help="cap on each reply, which Aider does not set itself (smallcoder caps its replies at 1024)")
    ap.add_argument("--n-ctx", type=int, help="default: what smallcoder's benchmark would use (config, else the model's)")
    ap.add_argument("--threads", type=int, help="default: as smallcoder's benchmark (config, else every CPU)")
    ap.add_argument("--server-url", help="reuse a running OpenAI-compatible server (http://127.0.0.1:PORT/v1) "
                                         "instead of starting one; no token counts then, unless --server-log")
    ap.add_argument("--server-log", type=Path, help="with --server-url: that server's log, to count tokens")
    ap.add_argument("--alias", help="model name the server answers to (default: the GGUF's stem)")
    ap.add_argument("--results", type=Path, default=RESULTS, help="where the per-task results and summary go")
    ap.add_argument("--work", type=Path, help="scratch repos and logs (default benchmarks/work/aider-<name>)")
    ap.add_argument("--fresh", action="store_true", help="redo tasks that already have a result")
    ap.add_argument("--summary-only", action="store_true", help="only rewrite the summary from saved results")
    ap.add_argument("--note", help="how the run was made, kept in the summary (the last note is kept otherwise)")
    args = ap.parse_args()

    args.model = args.model.expanduser().resolve()
    args.alias = args.alias or args.model.stem
    args.work = (args.work or HERE.parent / "work" / f"aider-{args.name}").resolve()
    out_dir = args.results / f"humanevalfix-aider-{args.name}"
    (out_dir / "tasks").mkdir(parents=True, exist_ok=True)
    (args.work / "logs").mkdir(parents=True, exist_ok=True)
    args.n_ctx, args.threads = server_settings(args)

    if not args.summary_only:
        if not args.aider.is_file():
            sys.exit(f"{args.aider} not found: run benchmarks/peers/setup.sh first")
        args.aider_version = aider_version(args.aider)
        with serve(args) as server:
            run_tasks(args, server, out_dir / "tasks")
    summarize(args, out_dir)


def server_settings(args: argparse.Namespace) -> tuple[int, int]:
    """The context window and threads smallcoder's benchmark gives this model: the user's config if it
    sets them, else the model's trained window capped by memory and every CPU (backends/embedded.py)."""
    from smallcoder.config import load_config

    config = load_config()
    threads = args.threads or config.threads or os.cpu_count() or 2
    if args.n_ctx or config.ctx:
        return args.n_ctx or config.ctx, threads
    import llama_cpp

    from smallcoder.backends.embedded import _quiet_stderr
    from smallcoder.backends.gguf_facts import GGUFFacts

    with _quiet_stderr():  # llama.cpp warns about the vocab-only load's window on fd 2
        probe = llama_cpp.Llama(str(args.model), vocab_only=True, verbose=False)
    facts = GGUFFacts.from_metadata(dict(probe.metadata), file_bytes=args.model.stat().st_size)
    return facts.choose_context(), threads


def aider_version(aider: Path) -> str:
    out = subprocess.run([str(aider), "--version"], capture_output=True, text=True, timeout=120)
    return out.stdout.strip() or out.stderr.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The OpenAI-compatible server Aider talks to: a llama_cpp.server started here with the settings
    smallcoder's benchmark uses, or the one given by --server-url (then never restarted)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.proc: subprocess.Popen | None = None
        self.url = args.server_url.rstrip("/") if args.server_url else ""
        self.log_path: Path | None = args.server_log if args.server_url else args.work / "logs" / "server.log"
        self.restarts = 0

    def start(self) -> None:
        """Start ours and wait until it answers (the model is loaded)."""
        if self.args.server_url:
            return
        a, port = self.args, free_port()
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(a.model), "--model_alias", a.alias,
               "--n_ctx", str(a.n_ctx), "--n_threads", str(a.threads), "--n_threads_batch", str(a.threads),
               "--n_batch", "512", "--host", "127.0.0.1", "--port", str(port), "--verbose", "True"]
        a.server_command = shlex.join(cmd)
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"\n### {time.strftime('%Y-%m-%d %H:%M:%S')} {a.server_command}\n")
            log.flush()
            # unbuffered, so each request's lines are in the file when the request ends
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
        self.url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 300
        while not _models_ok(self.url, 2):
            if self.proc.poll() is not None:
                sys.exit(f"llama_cpp.server exited ({self.proc.returncode}); see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()
                sys.exit(f"llama_cpp.server did not answer within 300 s; see {self.log_path}")
            time.sleep(0.5)

    def stop(self, grace: float = 10) -> None:
        """TERM, then KILL: uvicorn's graceful shutdown would wait for a generation no one reads."""
        if self.proc is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue
        self.proc = None

    def ensure_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight; if one still runs after `timeout`, restart our server (a
        killed Aider's non-streamed request, its history summary, runs to its end and cannot be
        cancelled). True when it restarted. llama_cpp.server answers /models only under its model lock,
        and a waiting request makes it drop a stream whose client has gone."""
        if _models_ok(self.url, timeout) or self.args.server_url:
            return False
        self.stop(grace=0.5)
        self.restarts += 1
        self.start()
        return True


@contextlib.contextmanager
def serve(args: argparse.Namespace) -> Iterator[Server]:
    """A started Server, stopped on the way out."""
    server = Server(args)
    server.start()
    try:
        if args.server_url and not _models_ok(server.url, 300):
            sys.exit(f"no answer from {server.url}/models")
        yield server
    finally:
        server.stop()


def _models_ok(url: str, timeout: float) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/models", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def run_tasks(args: argparse.Namespace, server: Server, per_task: Path) -> None:
    """Every task without a saved result (all of them with --fresh), one after another."""
    tasks = load_tasks(args.tasks, args.limit, args.offset)
    home = args.work / "home"  # Aider's ~: no user config, caches or analytics id from the real one
    home.mkdir(parents=True, exist_ok=True)
    settings = write_model_settings(args)
    with socket.socket() as blackhole:
        # bound, never listening: a connection to it is refused at once, so any attempt of Aider's to
        # reach the internet (update check, model metadata, analytics) fails fast instead of hanging
        blackhole.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{blackhole.getsockname()[1]}"
        env = aider_env(home, proxy)
        for i, task in enumerate(tasks, 1):
            saved = per_task / f"{task.slug}.json"
            if saved.exists() and not args.fresh:
                continue
            record = run_one(args, task, server, settings, env)
            saved.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            print(f"[{i}/{len(tasks)}] {task.task_id}: {'RESOLVED' if record['resolved'] else record['status']} "
                  f"in {record['wall_s']}s, first edit {record['time_to_first_edit_s']}s, "
                  f"{record.get('model_calls', '?')} calls", flush=True)


def write_model_settings(args: argparse.Namespace) -> tuple[Path, Path]:
    """Aider's model metadata and settings files for the served model, under args.work."""
    settings = args.work / "model-metadata.json", args.work / "model-settings.yml"
    settings[0].write_text(json.dumps({f"openai/{args.alias}": {
        # known to Aider, so it neither warns nor looks the model up online; a local model costs nothing
        "max_input_tokens": args.n_ctx, "max_tokens": args.n_ctx, "max_output_tokens": args.max_tokens,
        "input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "openai", "mode": "chat",
    }}, indent=2), encoding="utf-8")
    # Aider sends no max_tokens; llama_cpp.server then generates until the window is full, and a reply
    # that loops (or Aider's non-streamed history summary, which a kill cannot stop) holds the server
    # long past the task. "aider/extra_params" adds to every model's request without replacing settings.
    settings[1].write_text(f"- name: aider/extra_params\n  extra_params:\n    max_tokens: {args.max_tokens}\n",
                           encoding="utf-8")
    return settings


def aider_env(home: Path, proxy: str) -> dict[str, str]:
    """The environment Aider runs in: a scratch home, a dummy key, and the network closed but for loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIDER_", "OPENAI_", "LITELLM_"))}
    env.update({
        "HOME": str(home), "OPENAI_API_KEY": "sk-local-dummy",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # litellm reads its bundled price list, not GitHub's
        "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy,
        "ALL_PROXY": proxy, "all_proxy": proxy,
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1", "TERM": "dumb",
    })
    return env


def aider_command(args: argparse.Namespace, url: str, settings: tuple[Path, Path], report: str, logs: Path,
                  slug: str) -> list[str]:
    """Aider, told to fix the one file, test after each edit, and never stop to ask."""
    tests = f"timeout {TEST_TIMEOUT_S} {test_command('single')}"
    return [
        str(args.aider), "solution.py",
        "--model", f"openai/{args.alias}", "--openai-api-base", url, "--openai-api-key", "sk-local-dummy",
        "--model-metadata-file", str(settings[0]), "--model-settings-file", str(settings[1]),
        "--edit-format", "whole", "--map-tokens", str(args.map_tokens),
        "--test-cmd", tests, "--auto-test",
        "--message", report,
        "--yes-always", "--no-auto-commits", "--no-dirty-commits", "--no-gitignore",
        "--no-check-update", "--no-show-release-notes", "--no-show-model-warnings", "--no-analytics",
        "--no-suggest-shell-commands", "--no-detect-urls", "--no-pretty", "--no-fancy-input",
        "--timeout", str(int(args.budget)),
        "--chat-history-file", str(logs / f"{slug}.chat.md"),
        "--input-history-file", str(logs / f"{slug}.input.txt"),
        "--llm-history-file", str(logs / f"{slug}.llm.txt"),
        "--analytics-log", str(logs / f"{slug}.events.jsonl"),
    ]


def run_one(args: argparse.Namespace, task: Any, server: Server, settings: tuple[Path, Path],
            env: dict[str, str]) -> dict[str, Any]:
    """Aider on one task, then our checker on what it left in solution.py."""
    repo = make_repo(task, args.work / "repos" / task.slug)
    logs = args.work / "logs"
    for old in logs.glob(f"{task.slug}.*"):  # --fresh: this run's logs only
        old.unlink()
    original = _stamp(repo / "solution.py")
    server.ensure_idle(IDLE_WAIT_S)
    log_path = server.log_path
    log_offset = log_path.stat().st_size if log_path and log_path.exists() else 0
    cmd = aider_command(args, server.url, settings, task.report, logs, task.slug)
    status, first_edit, first_request = "exited", None, None
    started = time.perf_counter()
    with (logs / f"{task.slug}.aider.txt").open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=repo, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        # watched from outside, so the figures do not depend on what Aider prints
        while proc.poll() is None:
            now = time.perf_counter() - started
            if first_request is None and log_path and log_path.stat().st_size > log_offset:
                first_request = now
            if first_edit is None and _stamp(repo / "solution.py") != original:
                first_edit = now
            if now > args.budget:
                status = "timed_out"
                _kill(proc)
                break
            time.sleep(POLL_S)
    wall = time.perf_counter() - started
    if first_edit is None and _stamp(repo / "solution.py") != original:
        first_edit = wall  # written in the last poll interval
    # the task's requests have ended (else the server restarts), so their log lines are all written
    server_restarted = server.ensure_idle(IDLE_WAIT_S)
    if proc.returncode not in (0, None) and status == "exited":
        status = "error"
    aider_out = (logs / f"{task.slug}.aider.txt").read_text(encoding="utf-8", errors="replace")
    final = _stamp(repo / "solution.py")
    resolved = verify(task, repo, args.work / "verify" / task.slug)
    usage = server_usage(log_path, log_offset) if log_path and log_path.exists() else {}
    return {
        "task_id": task.task_id, "status": status, "resolved": resolved, "exit_code": proc.returncode,
        "wall_s": round(wall, 2),
        "time_to_first_request_s": _round(first_request), "time_to_first_edit_s": _round(first_edit),
        "edited": first_edit is not None,
        "code_changed": final is not None and final[1] != task.source.encode(),
        **usage, "server_restarted_after": server_restarted,
        "aider_reported_tokens": aider_tokens(aider_out),
        "format_errors": aider_out.count("did not conform to the edit format"),
        "edits_applied": aider_out.count("Applied edit to"),
        "output_tail": aider_out[-1500:] if status != "exited" or not resolved else "",
    }


def _stamp(path: Path) -> tuple[int, bytes] | None:
    """What tells a write: the modification time, and the content (a write within the clock's grain)."""
    try:
        return path.stat().st_mtime_ns, path.read_bytes()
    except OSError:
        return None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _kill(proc: subprocess.Popen) -> None:
    """Aider and whatever it started (a test run): TERM, then KILL."""
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def server_usage(log_path: Path, offset: int) -> dict[str, Any]:
    """Model calls and tokens of one task, from the server log lines it wrote since `offset`.

    The server runs one request at a time. Each starts with a "prefix-match hit" line (absent only when
    nothing of the prompt was cached: the server's first request) and ends with llama.cpp's timings, or
    with "disconnected" when its client was killed first (no completion count then). The access lines are
    no guide: one is written when the response starts, which a request cut during prompt evaluation never
    does (Aider's background history summary, killed at the budget)."""
    with log_path.open(encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        text = f.read()
    usage = {"model_calls": 0, "cut_calls": 0, "prompt_tokens": 0, "uncached_prompt_tokens": 0,
             "completion_tokens": 0}
    open_call = False  # a request has started and not yet ended
    for m in _SERVER_EVENT.finditer(text):
        if m.group("hit"):
            usage["cut_calls"] += open_call  # ended without a trace: count it as cut
            usage["model_calls"] += 1
            usage["prompt_tokens"] += int(m.group("hit")) + int(m.group("rest"))
            usage["uncached_prompt_tokens"] += int(m.group("rest"))
            open_call = True
        elif m.group("evaluated"):
            if not open_call:  # a cold request: its whole prompt was evaluated
                usage["model_calls"] += 1
                usage["prompt_tokens"] += int(m.group("evaluated"))
                usage["uncached_prompt_tokens"] += int(m.group("evaluated"))
            usage["completion_tokens"] += int(m.group("generated"))
            open_call = False
        else:  # disconnected
            usage["model_calls"] += not open_call
            usage["cut_calls"] += 1
            open_call = False
    usage["cut_calls"] += open_call
    usage["http_errors"] = sum(code != "200" for code in _REQUEST.findall(text))
    return usage


def aider_tokens(output: str) -> dict[str, int]:
    """The sent/received totals Aider printed (its own count; approximate when it streams)."""
    sent = received = 0
    for a, ak, b, bk in _AIDER_TOKENS.findall(output):
        sent += round(float(a) * (1000 if ak else 1))
        received += round(float(b) * (1000 if bk else 1))
    return {"sent": sent, "received": received}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def summarize(args: argparse.Namespace, out_dir: Path) -> None:
    """The run's figures, with smallcoder's on the same tasks beside them when its run is saved."""
    records = [json.loads(p.read_text()) for p in sorted((out_dir / "tasks").glob("*.json"))]
    n = len(records)
    prompt = sum(r.get("prompt_tokens", 0) for r in records)
    uncached = sum(r.get("uncached_prompt_tokens", 0) for r in records)
    path = args.results / f"humanevalfix-aider-{args.name}.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    note = args.note or old.get("note")
    summary = {
        "benchmark": "humanevalfix-python", "agent": "aider", "aider_version": getattr(args, "aider_version", None)
        or old.get("aider_version") or (aider_version(args.aider) if args.aider.is_file() else None),
        "model": args.model.name, "tasks": n, "tasks_requested": args.limit,
        "resolved": sum(r["resolved"] for r in records),
        "resolve_rate": round(sum(r["resolved"] for r in records) / n, 3) if n else 0,
        "median_wall_s": _median([r["wall_s"] for r in records]) or 0,
        "median_wall_s_resolved": _median([r["wall_s"] for r in records if r["resolved"]]),
        "median_time_to_first_edit_s": _median([r["time_to_first_edit_s"] for r in records
                                                if r["time_to_first_edit_s"] is not None]),
        "median_time_to_first_request_s": _median([r["time_to_first_request_s"] for r in records
                                                   if r["time_to_first_request_s"] is not None]),
        "total_wall_s": round(sum(r["wall_s"] for r in records), 1),
        "mean_model_calls": round(statistics.mean(r.get("model_calls", 0) for r in records), 2) if n else 0,
        "mean_prompt_tokens": round(prompt / n) if n else 0,
        "mean_uncached_prompt_tokens": round(uncached / n) if n else 0,
        "mean_completion_tokens": round(sum(r.get("completion_tokens", 0) for r in records) / n) if n else 0,
        "kv_cache_share": round(1 - uncached / prompt, 3) if prompt else 0,
        "statuses": {s: sum(r["status"] == s for r in records) for s in sorted({r["status"] for r in records})},
        "tasks_never_edited": sum(not r["edited"] for r in records),
        "tasks_with_format_errors": sum(r["format_errors"] > 0 for r in records),
        "cut_calls": sum(r.get("cut_calls", 0) for r in records),
        # the keys benchmarks/humanevalfix/compare.py reads, so this run joins humanevalfix.md's table
        "parser": "aider (whole-file edits)", "layout": "single", "switched_off": [], "ended_by_stuck_detector": "–",
        "budget_s": args.budget, "map_tokens": args.map_tokens, "max_tokens": args.max_tokens,
        "server_restarts": sum(r.get("server_restarted_after", False) for r in records), "test_timeout_s": TEST_TIMEOUT_S,
        "server": {"runtime": args.server_url or "llama_cpp.server",
                   "command": getattr(args, "server_command", None) or old.get("server", {}).get("command"),
                   "n_ctx": args.n_ctx, "threads": args.threads, "n_batch": 512},
        "aider_command": shlex.join(aider_command(args, "<server>/v1", (Path("<model-metadata.json>"),
                                    Path("<model-settings.yml>")), "<issue text>", Path("<logs>"), "<task>")),
        "command": shlex.join(["python", "benchmarks/peers/aider_humanevalfix.py",
                               *(a for a in sys.argv[1:] if a not in ("--summary-only", "--fresh"))]),
        "machine": f"{os.cpu_count()} CPUs",
        "date": time.strftime("%Y-%m-%d"),
        **({"note": note} if note else {}),
    }
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    path.with_suffix(".md").write_text(markdown(summary, records, smallcoder_records(args, records)), encoding="utf-8")
    print(json.dumps(summary, indent=2))


def smallcoder_records(args: argparse.Namespace, records: list[dict]) -> list[dict]:
    """smallcoder's per-task results of the same name (benchmarks/humanevalfix/run.py), on these tasks."""
    ids = {r["task_id"] for r in records}
    folder = args.results / f"humanevalfix-{args.name}" / "tasks"
    found = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return [r for r in found if r["task_id"] in ids]


def markdown(summary: dict, aider: list[dict], ours: list[dict]) -> str:
    """The summary as a table: Aider and, on the same tasks, smallcoder."""
    def secs(x: float | None) -> str:
        return "–" if x is None else f"{x} s"

    def mean(rs: list[dict], value: Any) -> str:
        return f"{round(sum(value(r) for r in rs) / len(rs)):,}"

    def row(name: str, rs: list[dict], first_edit: float | None) -> str:
        resolved = sum(r["resolved"] for r in rs)
        # smallcoder records the cached part, Aider's run (from the server log) the evaluated part
        uncached = (lambda r: r["uncached_prompt_tokens"]) if "uncached_prompt_tokens" in rs[0] else \
            (lambda r: r["prompt_tokens"] - r.get("cached_tokens", 0))
        return " | ".join([
            f"| {name}", f"{resolved}/{len(rs)} ({resolved / len(rs):.1%})", secs(_median([r["wall_s"] for r in rs])),
            secs(_median([r["wall_s"] for r in rs if r["resolved"]])), secs(first_edit),
            f"{statistics.mean(r.get('model_calls', 0) for r in rs):.2f}", mean(rs, lambda r: r.get("prompt_tokens", 0)),
            mean(rs, uncached), mean(rs, lambda r: r.get("completion_tokens", 0)),
        ]) + " |"

    lines = [
        f"# HumanEvalFix (Python): Aider vs smallcoder, {summary['model']}",
        "",
        f"Command: `{summary['command']}` on {summary['machine']}, {summary['date']}; {summary['aider_version']}.",
        f"llama_cpp.server, n_ctx {summary['server']['n_ctx']}, threads {summary['server']['threads']}, "
        f"replies capped at {summary['max_tokens']} tokens; "
        f"whole-file edits, solution.py on the command line, --map-tokens {summary['map_tokens']}, "
        f"--test-cmd + --auto-test; {summary['budget_s']:g} s per task. See benchmarks/peers/README.md.",
        "",
        "| agent | resolved | median wall | median wall, resolved | median time to first edit | model calls | "
        "prompt tokens | uncached prompt tokens | completion tokens |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    if aider:
        lines.append(row("aider", aider, summary["median_time_to_first_edit_s"]))
    if ours:
        edits = [r["time_to_first_edit_s"] for r in ours if r.get("time_to_first_edit_s") is not None]
        lines.append(row("smallcoder", ours, _median(edits)))  # recorded by runs since its --time-limit
    lines += [
        "",
        "Per task means. Aider's tokens are read from the server's log (prompt = prefix-cache hit + evaluated; "
        "uncached = evaluated; a call cut at the budget has no completion count), smallcoder's from its run "
        "records (time to first edit: its first applied edit, where recorded). Aider's wall time includes its start-up "
        f"(median {secs(summary['median_time_to_first_request_s'])} to its first request).",
        f"Aider: statuses {summary['statuses']}; tasks never edited: {summary['tasks_never_edited']}; "
        f"tasks with a reply not in the edit format: {summary['tasks_with_format_errors']}; "
        f"calls cut at the budget: {summary['cut_calls']}.",
    ]
    if summary.get("note"):
        lines += ["", f"Note: {summary['note']}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
