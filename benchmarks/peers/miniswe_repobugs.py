"""Run mini-swe-agent on the repobugs dev set; `smallcoder batch` then judges its patches beside smallcoder's.

    nice -n 19 bash benchmarks/peers/setup_miniswe.sh     # mini-swe-agent into /work/peers/miniswe-venv
    .venv/bin/python benchmarks/peers/miniswe_repobugs.py \\
        --model ~/.cache/smallcoder-test-models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf --name qwen2.5-coder-1.5b
    .venv/bin/python -m smallcoder.cli.app batch benchmarks/repobugs/tasks.jsonl \\
        --model predictions:benchmarks/results/repobugs-miniswe-qwen2.5-coder-1.5b/predictions.jsonl \\
        --out /tmp/repobugs-miniswe-eval

mini-swe-agent is a bash-only loop: each reply holds one shell command, run in a fresh subshell, its output
goes back as the next message, until the model prints its submit marker. It runs here as its users run it
on SWE-bench: its own `mini` command with its own SWE-bench config, read from the installed package (the
text-based one by default, one ```mswea_bash_command``` block a reply, since llama_cpp.server returns no
structured tool calls; --tool-calls takes the tool-calling one for a server that does, llama-server --jinja).
What changes: the local environment in the task's checkout instead of SWE-bench's Docker image (the prompt
names the checkout where it named /testbed); the model behind the same OpenAI-compatible server as Aider's
run, with a dummy key, replies capped and temperature 0 (as Aider sends); no cost limit and cost tracking
off (a local model has no price, and litellm must not look one up); a command may run 300 s (as a test run
in Aider's runner); the task's test environment (the variables Aider's run gives its test command: the
checkout's sources first on PYTHONPATH) in every command's environment, never in mini's own process.

Setting as aider_repobugs.py: the same checkout and test environment (repobugs_peer), the same server
(aider_humanevalfix.Server: llama_cpp.server with an 8,192-token window and 2 threads, or --server-url),
the problem statement as the task, 600 s of wall clock per task (then mini and its commands are killed),
replies capped at 2,048 tokens, the network closed but for loopback. The patch is the working tree against
the base commit (new files included) less patch.txt, the file mini's prompt has the model write its
submission to; what mini itself submitted is kept in the task's record.

Out: <results>/repobugs-miniswe-<name>/predictions.jsonl in SWE-bench's format (plus run_s, steps, model
calls and tokens a line) rewritten after every task, and tasks/<id>.json per task (a rerun skips finished
tasks; --fresh redoes them). Logs under --work: mini's output and trajectory per task, the server's log.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from aider_humanevalfix import IDLE_WAIT_S, POLL_S, Server, _kill, aider_env, serve, server_usage  # noqa: E402
from repobugs_peer import (  # noqa: E402
    TEST_TIMEOUT_S,
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

DEFAULT_MINI = Path(os.environ.get("MINISWE_VENV", "/work/peers/miniswe-venv")) / "bin" / "mini"
DUMMY_KEY = "sk-local-dummy"
SUBMISSION_FILE = "patch.txt"  # where mini's SWE-bench prompt has the model write the patch it submits
# mini's SWE-bench prompts, by the way the model gives its command, and the model class that reads it
PROMPTS = {"text": ("swebench_backticks", "litellm_textbased"), "tool-calls": ("swebench", "litellm")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(ap, "miniswe")
    ap.add_argument("--mini", type=Path, default=DEFAULT_MINI, help="mini-swe-agent's `mini` command")
    ap.add_argument("--tool-calls", action="store_true",
                    help="mini's tool-calling prompt (the server must return tool calls) instead of the text one")
    ap.add_argument("--step-limit", type=int, default=250,
                    help="most model calls per task (mini's SWE-bench setting; the budget binds first)")
    ap.add_argument("--command-timeout", type=int, default=TEST_TIMEOUT_S,
                    help="seconds one of the model's commands may run (as a test run in Aider's runner)")
    ap.add_argument("--temperature", type=float, default=0.0,
                    help="sampling temperature sent (mini's v2 config sends none: llama.cpp then samples at 0.8)")
    args = ap.parse_args()

    out_dir = prepare_run(args, "miniswe")
    (args.work / "home").mkdir(exist_ok=True)
    if not args.mini.is_file():
        sys.exit(f"{args.mini} not found: run benchmarks/peers/setup_miniswe.sh first")
    prompt, model_class = PROMPTS["tool-calls" if args.tool_calls else "text"]
    tasks = load_tasks(args.tasks, args.limit)
    with serve(args) as server, closed_network() as proxy:
        env = mini_env(args.work / "home", proxy)
        version, base = mini_builtin(args.mini, prompt, env)
        config = mini_config(base, model=f"openai/{args.alias}", url=server.url, model_class=model_class,
                             step_limit=args.step_limit, command_timeout=args.command_timeout,
                             max_tokens=args.max_tokens, temperature=args.temperature)
        config_path = args.work / "mini-config.yaml"  # written as JSON, which is YAML; mini's -c wants .yaml
        config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
        run_info = {
            "agent": "mini-swe-agent", "mini_version": version, "prompt": prompt, "model": args.model.name,
            "budget_s": args.budget, "step_limit": args.step_limit, "command_timeout_s": args.command_timeout,
            "max_tokens": args.max_tokens, "temperature": args.temperature, "n_ctx": args.n_ctx,
            "threads": args.threads,
        }
        run_pending(tasks, out_dir, args.fresh, lambda task: run_one(args, task, server, config_path, env),
                    saved=lambda: write_predictions(out_dir, run_info, "miniswe_repobugs.py", quiet=True))
    write_predictions(out_dir, run_info, "miniswe_repobugs.py")


def mini_env(home: Path, proxy: str) -> dict[str, str]:
    """mini's environment: Aider's (a scratch home, a dummy key, litellm's bundled price list, the network
    closed but for loopback), no settings of the user's, and mini told it is configured (else its first run
    asks for a model and a key on the terminal)."""
    env = {k: v for k, v in aider_env(home, proxy).items()
           if not k.startswith("MSWEA_") and k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update({
        "MSWEA_CONFIGURED": "true", "MSWEA_GLOBAL_CONFIG_DIR": str(home / "mini-swe-agent"),
        "MSWEA_COST_TRACKING": "ignore_errors",  # a local model has no price; unknown cost is no error
    })
    return env


def mini_builtin(mini: Path, prompt: str, env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """mini's version and its built-in config `prompt`, read by its own interpreter (the `mini` script's)."""
    code = ("import json, sys\nimport minisweagent\nfrom minisweagent.config import get_config_from_spec\n"
            "print(json.dumps([minisweagent.__version__, get_config_from_spec(sys.argv[1])]))")
    out = subprocess.run([str(mini.parent / "python"), "-c", code, prompt], env={**env, "MSWEA_SILENT_STARTUP": "1"},
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        sys.exit(f"cannot read mini-swe-agent's {prompt} config:\n{out.stderr[-2000:]}")
    version, config = json.loads(out.stdout.strip().splitlines()[-1])
    return version, config


def mini_config(base: dict[str, Any], *, model: str, url: str, model_class: str, step_limit: int,
                command_timeout: int, max_tokens: int, temperature: float | None) -> dict[str, Any]:
    """mini's SWE-bench config for a local run: the default agent (no confirmations), the local environment
    (the checkout is given per task as environment.cwd, which the prompt names where it named /testbed), the
    model at `url` with a dummy key, no cost limit and cost tracking off, replies capped at max_tokens."""
    config = copy.deepcopy(base)
    agent = config.setdefault("agent", {})
    agent["instance_template"] = agent["instance_template"].replace("/testbed", "{{cwd}}")
    agent.update(agent_class="default", step_limit=step_limit, cost_limit=0)
    environment = config.setdefault("environment", {})
    for docker_only in ("image", "interpreter", "container_timeout", "pull_timeout", "run_args", "executable"):
        environment.pop(docker_only, None)
    environment.update(environment_class="local", timeout=command_timeout)
    settings = config.setdefault("model", {})
    settings.update(model_class=model_class, model_name=model, cost_tracking="ignore_errors")
    settings["model_kwargs"] = {
        **settings.get("model_kwargs", {}), "api_base": url, "api_key": DUMMY_KEY, "max_tokens": max_tokens,
        **({"temperature": temperature} if temperature is not None else {}),
    }
    return config


def run_one(args: argparse.Namespace, task: Any, server: Server, config_path: Path,
            env: dict[str, str]) -> dict[str, Any]:
    """mini on one task's checkout; its diff against the base commit is the prediction."""
    co = check_out(task, args.tasks, args.work)
    logs = args.work / "logs"
    trajectory = logs / f"{task.file_id}.traj.json"
    trajectory.unlink(missing_ok=True)
    task_config = logs / f"{task.file_id}.config.yaml"  # JSON, as the run's config
    task_config.write_text(json.dumps({
        "run": {"task": task.problem_statement},
        # the commands' environment: mini's own plus the task's test variables (mini's stays clean)
        "environment": {"cwd": str(co.repo), "env": co.test_env},
    }, indent=2, ensure_ascii=False), encoding="utf-8")
    server.ensure_idle(IDLE_WAIT_S)
    log_path = server.log_path
    offset = log_path.stat().st_size if log_path and log_path.exists() else 0
    cmd = [str(args.mini), "-c", str(config_path), "-c", str(task_config), "-o", str(trajectory)]
    status, exit_code, wall = run_with_budget(cmd, co.repo, env, logs / f"{task.file_id}.mini.txt", args.budget, kill_tree, POLL_S)
    # a killed mini's request may still run (it does not stream: the server cannot notice it has gone)
    server.ensure_idle(IDLE_WAIT_S)
    patch = working_tree_patch(co.repo, co.base, exclude=(SUBMISSION_FILE,))
    facts = trajectory_facts(json.loads(trajectory.read_text(encoding="utf-8")) if trajectory.exists() else {})
    usage = server_usage(log_path, offset) if log_path and log_path.exists() else {}
    tokens = usage if usage.get("model_calls") else facts["usage"]  # the server's log, else mini's record
    mini_out = (logs / f"{task.file_id}.mini.txt").read_text(encoding="utf-8", errors="replace")
    return {
        "instance_id": task.instance_id, "model_name_or_path": f"miniswe-{args.name}", "model_patch": patch,
        "status": status, "exit_status": facts["exit_status"], "exit_code": exit_code,
        "run_s": round(wall, 2), "steps": facts["steps"],
        "model_calls": tokens.get("model_calls", 0), "prompt_tokens": tokens.get("prompt_tokens", 0),
        "cached_tokens": tokens.get("prompt_tokens", 0) - tokens.get("uncached_prompt_tokens", 0),
        "completion_tokens": tokens.get("completion_tokens", 0), "cut_calls": tokens.get("cut_calls", 0),
        "token_source": "server log" if tokens is usage else "trajectory",
        "format_errors": facts["format_errors"], "commands": facts["commands"],
        "submission": facts["submission"], "test_env": co.test_env, "test_command": co.test_command,
        "output_tail": mini_out[-1500:],
    }


def kill_tree(proc: subprocess.Popen) -> None:
    """mini and every command it started. mini starts each command in a session of its own and kills it only
    at the command's timeout, so killing mini's process group would leave a running test behind: take its
    descendants first, then end mini's group, then each descendant's own group."""
    try:
        descendants = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    _kill(proc)
    for child in descendants:
        with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError, PermissionError):
            if os.getpgid(child.pid) == child.pid:  # a group leader: its group holds what it started since
                os.killpg(child.pid, signal.SIGKILL)
            child.kill()


def trajectory_facts(data: dict[str, Any]) -> dict[str, Any]:
    """What a mini trajectory (its -o file, saved after every step, so a killed run leaves one too) tells:
    its exit status and submission, its steps (model calls), replies not in the format, commands run, and
    the token usage the server reported in each response."""
    info = data.get("info", {})
    messages = data.get("messages", [])
    usage = {"model_calls": 0, "prompt_tokens": 0, "uncached_prompt_tokens": 0, "completion_tokens": 0}
    commands = format_errors = 0
    for m in messages:
        extra = m.get("extra") or {}
        if extra.get("interrupt_type") == "FormatError":
            format_errors += 1
        if m.get("role") == "assistant":
            commands += len(extra.get("actions") or [])
        response = extra.get("response")
        if isinstance(response, dict) and isinstance(response.get("usage"), dict):
            u = response["usage"]
            cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
            usage["model_calls"] += 1
            usage["prompt_tokens"] += u.get("prompt_tokens") or 0
            usage["uncached_prompt_tokens"] += (u.get("prompt_tokens") or 0) - cached
            usage["completion_tokens"] += u.get("completion_tokens") or 0
    return {
        "exit_status": info.get("exit_status") or "", "submission": info.get("submission") or "",
        "steps": (info.get("model_stats") or {}).get("api_calls", 0), "format_errors": format_errors,
        "commands": commands, "usage": usage,
    }


if __name__ == "__main__":
    main()
