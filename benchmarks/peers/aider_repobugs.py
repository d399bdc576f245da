"""Run Aider on the repobugs dev set; `smallcoder batch` then judges its patches beside smallcoder's.

    .venv/bin/python benchmarks/peers/aider_repobugs.py \\
        --model ~/.cache/smallcoder-test-models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf --name qwen2.5-coder-1.5b
    .venv/bin/python -m smallcoder.cli.app batch benchmarks/repobugs/tasks.jsonl \\
        --model predictions:benchmarks/results/repobugs-aider-qwen2.5-coder-1.5b/predictions.jsonl \\
        --out /tmp/repobugs-aider-eval

The issue's peer setting (issue 23): Aider with whole-file edits and its repo map on (--map-tokens,
1,024 by default: what smallcoder's first prompt spends on its map), no file given — it finds the code
from the report, as smallcoder must —, the task's own test command as --test-cmd with --auto-test, the
problem statement as --message, a wall-clock budget per task (600 s, as benchmarks/repobugs/run.sh).
The same GGUF behind one `python -m llama_cpp.server` (the server, the closed network, the scratch home
and the token counting from the server log are aider_humanevalfix.py's); the same checkout of each task
(smallcoder's batch_repo) and the same test environment smallcoder's runs get (its environment finder:
the project's interpreter, its sources first on PYTHONPATH), given to the test command only so that it
cannot shadow Aider's own imports.

Out: <results>/repobugs-aider-<name>/predictions.jsonl in SWE-bench's format (plus run_s, model_calls and
token counts a line, which `batch --model predictions:` carries into its report) and tasks/<id>.json per
task (a rerun resumes; --fresh redoes). Logs under --work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from aider_humanevalfix import (  # noqa: E402  (the HumanEvalFix runner's server and Aider plumbing)
    DEFAULT_AIDER,
    IDLE_WAIT_S,
    POLL_S,
    Server,
    _kill,
    aider_env,
    aider_tokens,
    aider_version,
    serve,
    server_usage,
    write_model_settings,
)
from repobugs_peer import (  # noqa: E402  (tasks, checkout, patch and predictions shared with the other peers)
    add_run_arguments,
    check_out,
    closed_network,
    load_tasks,
    prepare_run,
    run_pending,
    run_with_budget,
    working_tree_patch,
    write_predictions,
)

from smallcoder.session.batch_tasks import BatchTask  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(ap, "aider")
    ap.add_argument("--aider", type=Path, default=DEFAULT_AIDER)
    ap.add_argument("--map-tokens", type=int, default=1024, help="Aider's repo map budget (on: the issue's setting)")
    args = ap.parse_args()

    out_dir = prepare_run(args, "aider")
    if not args.aider.is_file():
        sys.exit(f"{args.aider} not found: run benchmarks/peers/setup.sh first")
    args.aider_version = aider_version(args.aider)
    tasks = load_tasks(args.tasks, args.limit)
    with serve(args) as server:
        settings = write_model_settings(args)
        with closed_network() as proxy:  # Aider's internet calls fail at once
            env = aider_env(args.work / "home", proxy)
            (args.work / "home").mkdir(exist_ok=True)
            run_pending(tasks, out_dir, args.fresh, lambda task: run_one(args, task, server, settings, env))
    write_predictions(out_dir, {
        "agent": "aider", "aider_version": args.aider_version, "model": args.model.name,
        "budget_s": args.budget, "map_tokens": args.map_tokens, "max_tokens": args.max_tokens,
        "n_ctx": args.n_ctx, "threads": args.threads,
    }, "aider_repobugs.py")


def run_one(args: argparse.Namespace, task: BatchTask, server: Server, settings: tuple[Path, Path],
            env: dict[str, str]) -> dict[str, Any]:
    """Aider on one task's checkout; its diff against the base commit is the prediction."""
    co = check_out(task, args.tasks, args.work)
    repo, tests = co.repo, co.test_line()
    logs = args.work / "logs"
    server.ensure_idle(IDLE_WAIT_S)
    log_path = server.log_path
    offset = log_path.stat().st_size if log_path and log_path.exists() else 0
    cmd = command(args, server.url, settings, task.problem_statement, tests, logs / task.file_id)
    status, exit_code, wall = run_with_budget(cmd, repo, env, logs / f"{task.file_id}.aider.txt", args.budget, _kill, POLL_S)
    server.ensure_idle(IDLE_WAIT_S)
    # Aider commits nothing (--no-auto-commits): the working tree against the base is its change, less
    # Aider's own files (its repo map's tag cache lands in the checkout)
    patch = working_tree_patch(repo, co.base, exclude=(".aider*",))
    usage = server_usage(log_path, offset) if log_path and log_path.exists() else {}
    aider_out = (logs / f"{task.file_id}.aider.txt").read_text(encoding="utf-8", errors="replace")
    return {
        "instance_id": task.instance_id, "model_name_or_path": f"aider-{args.name}", "model_patch": patch,
        "status": status, "exit_code": exit_code, "run_s": round(wall, 2),
        "model_calls": usage.get("model_calls", 0), "prompt_tokens": usage.get("prompt_tokens", 0),
        "cached_tokens": usage.get("prompt_tokens", 0) - usage.get("uncached_prompt_tokens", 0),
        "completion_tokens": usage.get("completion_tokens", 0), "cut_calls": usage.get("cut_calls", 0),
        "aider_reported_tokens": aider_tokens(aider_out), "test_command": tests,
        "edits_applied": aider_out.count("Applied edit to"),
        "format_errors": aider_out.count("did not conform to the edit format"),
        "output_tail": aider_out[-1500:],
    }


def command(args: argparse.Namespace, url: str, settings: tuple[Path, Path], report: str, tests: str,
            logs: Path) -> list[str]:
    """Aider with its repo map and no file: it chooses what to edit, tests after each edit, never asks."""
    return [
        str(args.aider),
        "--model", f"openai/{args.alias}", "--openai-api-base", url, "--openai-api-key", "sk-local-dummy",
        "--model-metadata-file", str(settings[0]), "--model-settings-file", str(settings[1]),
        "--edit-format", "whole", "--map-tokens", str(args.map_tokens),
        *(["--test-cmd", tests, "--auto-test"] if tests else []),
        "--message", report,
        "--yes-always", "--no-auto-commits", "--no-dirty-commits", "--no-gitignore",
        "--no-check-update", "--no-show-release-notes", "--no-show-model-warnings", "--no-analytics",
        "--no-suggest-shell-commands", "--no-detect-urls", "--no-pretty", "--no-fancy-input",
        "--timeout", str(int(args.budget)),
        "--chat-history-file", f"{logs}.chat.md", "--input-history-file", f"{logs}.input.txt",
        "--llm-history-file", f"{logs}.llm.txt", "--analytics-log", f"{logs}.events.jsonl",
    ]


if __name__ == "__main__":
    main()
