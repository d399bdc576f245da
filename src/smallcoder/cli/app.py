"""The `smallcoder` command. Thin: parse arguments, build objects, render events."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from smallcoder.agent.loop import AgentConfig
from smallcoder.cli.batch import batch
from smallcoder.cli.chat import chat, default_to_chat
from smallcoder.cli.complete import complete
from smallcoder.cli.dataset import dataset_app
from smallcoder.cli.doctor import doctor
from smallcoder.cli.exitcodes import REFUSED, exit_code
from smallcoder.cli.issue import check_issue_flags, delivery_json, print_delivery
from smallcoder.cli.live import live_printer
from smallcoder.cli.lsp import lsp
from smallcoder.cli.models import models_app
from smallcoder.cli.output import RunTracker, apply_decision, print_summary, report_failure, result_json
from smallcoder.cli.review import review
from smallcoder.cli.runs import runs_app
from smallcoder.cli.tasks import tasks_app
from smallcoder.config import load_config
from smallcoder.errors import SmallcoderError
from smallcoder.paths import Home
from smallcoder.session.fix import FixOptions, apply_result
from smallcoder.session.issue import options_for, prepare_issue, run_issue
from smallcoder.session.setup import open_session
from smallcoder.workspace.environment import environment_request

app = typer.Typer(help="Local-first agentic coding for small open models.", no_args_is_help=False,
                  pretty_exceptions_enable=False)
app.add_typer(runs_app, name="runs")
app.add_typer(tasks_app, name="tasks")
app.add_typer(models_app, name="models")
app.add_typer(dataset_app, name="dataset")
app.command()(batch)
app.command()(doctor)
app.command()(complete)
app.command()(lsp)
app.command()(chat)
app.command()(review)
app.callback(invoke_without_command=True)(default_to_chat)  # `smallcoder` alone starts a chat

ModelOpt = Annotated[Optional[str], typer.Option("--model", "-m", help="PATH.gguf, hf:REPO[:QUANT], ollama:NAME, openai:URL#MODEL, auto or scripted:FILE.json")]
CtxOpt = Annotated[Optional[int], typer.Option("--ctx", help="Context window in tokens (default: from the GGUF, capped by memory).")]


@app.command()
def fix(
    task: Annotated[Optional[str], typer.Argument(help="What to fix: an issue body or a task in words. '-' reads stdin.")] = None,
    repo: Annotated[Path, typer.Option("--repo", "-r", help="The repository (default: current directory).")] = Path("."),
    model: ModelOpt = None,
    test_cmd: Annotated[Optional[str], typer.Option("--test-cmd", help="Command that runs the tests (default: detected).")] = None,
    max_steps: Annotated[int, typer.Option("--max-steps", min=1, help="Most model calls in the run.")] = 12,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", min=1, help="Seconds the run may take, tests included; at the limit the model is stopped and what it did so far is verified.")] = None,
    tries: Annotated[int, typer.Option("--tries", min=1, help="Start over (sampled hotter) while no try's change passes the tests, up to N tries in all; the try with the fewest failing tests is kept. Limits count over all tries, steps per try.")] = 1,
    apply: Annotated[bool, typer.Option("--apply", help="Apply the verified change to your working tree.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --apply: apply a change that deletes functions or classes the task does not mention, or one nothing verified.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON result object instead of progress.")] = False,
    init: Annotated[bool, typer.Option("--init", help="Make a non-git directory a git repository first.")] = False,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="Model server URL (Ollama or OpenAI-compatible).")] = None,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Allow a server that is not on this machine: your code is sent to it.")] = False,
    ctx: CtxOpt = None,
    allow_network: Annotated[bool, typer.Option("--allow-network", help="Let the model's commands reach the network (off by default).")] = False,
    no_sandbox: Annotated[bool, typer.Option("--no-sandbox", help="Run the model's commands WITHOUT isolation (when no sandbox can run here).")] = False,
    issue: Annotated[Optional[str], typer.Option("--issue", help="GitHub issue to fix: URL, OWNER/REPO#N, or N (repository from origin).")] = None,
    pr: Annotated[bool, typer.Option("--pr", help="With --issue: push the verified fix and open (or update) a pull request.")] = False,
    draft: Annotated[bool, typer.Option("--draft", help="With --pr: open the pull request as a draft.")] = False,
    comment: Annotated[bool, typer.Option("--comment", help="With --issue: comment the outcome on the issue.")] = False,
    reproduce: Annotated[Optional[bool], typer.Option("--reproduce/--no-reproduce", help="First write a test that fails on the problem (default: on with --issue).")] = None,
    python: Annotated[Optional[str], typer.Option("--python", help="The project's Python interpreter (default: found; see docs/environments.md).")] = None,
    env: Annotated[Optional[str], typer.Option("--env", help="The project's environment directory: a virtualenv or conda env.")] = None,
) -> None:
    """Fix a bug or do a task in a repository; deliver a verified branch (with --issue, a pull request)."""
    # After the arguments are parsed, every way this ends is an outcome: one line (or, with --json, exactly one
    # JSON object on stdout) and a documented exit code (docs/outcomes.md, cli/exitcodes.py).
    tracker = RunTracker()
    try:
        if force and not apply:
            raise SmallcoderError("--force goes with --apply")
        check_issue_flags(task, issue, pr=pr, draft=draft, comment=comment)
        job = prepare_issue(issue, repo, pr=pr, comment=comment) if issue else None  # before a model is loaded
        task = job.task if job else task
        if task == "-":
            task = sys.stdin.read()
        if not (task or "").strip():
            raise SmallcoderError("the task is empty — describe the problem, pass '-' and pipe an issue body, or use --issue")
        assert task is not None
        if not repo.is_dir():
            raise SmallcoderError(f"repository not found: {repo}")
        config = load_config().with_flags(model=model, ctx=ctx, base_url=base_url, allow_remote=allow_remote,
                                          allow_network=allow_network, no_sandbox=no_sandbox)
        console = Console(stderr=as_json, quiet=as_json)
        printer = live_printer(console)
        options = FixOptions(test_command=test_cmd, init=init, tries=tries,
                             agent=AgentConfig(max_steps=max_steps, time_limit_s=time_limit),
                             environment=environment_request(python, env, config.python))
        options = options_for(job, options, reproduce is not False) if job else replace(options, reproduce=bool(reproduce))
        with open_session(config, Home.from_env(), stream=printer.on_text if printer.streams else None) as session:
            if session.warning:
                Console(stderr=True).print(f"[bold yellow]warning:[/] {session.warning}")
            if job:
                run = run_issue(session, job, repo, options, [printer, tracker], pr=pr, draft=draft, comment=comment)
                result, delivery = run.result, run.delivery
            else:
                result, delivery = session.fix(task, repo, options, [printer, tracker]), None
    except typer.Exit:
        raise
    except (Exception, KeyboardInterrupt) as e:  # noqa: BLE001  (every failure gets its status and code)
        raise typer.Exit(report_failure(e, tracker, as_json=as_json)) from None
    applied, why_not, code = apply_decision(result, force=force) if apply else (False, "", exit_code(result.status))
    apply_error = None
    if applied:
        try:
            apply_result(result)
        except SmallcoderError as e:  # a conflict with the user's tree: nothing applied, the branch is kept
            applied, apply_error, code = False, str(e), REFUSED
            console.print(f"[yellow]not applied: {e}[/]", highlight=False)
    elif why_not:
        console.print(f"[yellow]{why_not}[/]", highlight=False)
    if as_json:
        extra = {"apply_error": apply_error} if apply_error else {}
        print(json.dumps({**result_json(result, applied, code=code), **extra, **delivery_json(job, delivery)},
                         indent=2))
    else:
        print_summary(console, result, applied)
        print_delivery(console, result, delivery)
    raise typer.Exit(code)


@app.command()
def demo(
    model: ModelOpt = None,
    directory: Annotated[Optional[Path], typer.Option("--dir", help="Where to put the example repository.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    ctx: CtxOpt = None,
) -> None:
    """Copy the bundled example (a buggy mean()) into a fresh git repository and fix it."""
    target = directory or Path(tempfile.mkdtemp(prefix="smallcoder-demo-"))
    if target.exists() and any(target.iterdir()):
        raise SmallcoderError(f"{target} is not empty — pass an empty or new --dir")
    source = resources.files("smallcoder").joinpath("examples", "mean_bug")
    with resources.as_file(source) as src:
        shutil.copytree(src, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    task = (target / "TASK.md").read_text(encoding="utf-8")
    ident = ["-c", "user.name=smallcoder", "-c", "user.email=smallcoder@localhost"]
    for args in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-q", "-m", "Example project with a bug"]):
        subprocess.run(["git", *args], cwd=target, check=True, capture_output=True)
    Console(stderr=as_json).print(f"example repository: {target}\ntask: {task.strip()}")
    fix(task=task, repo=target, model=model, test_cmd=None, max_steps=8, apply=False, as_json=as_json,
        init=False, ctx=ctx)


def main() -> None:
    """Entry point: user-facing errors are one line; SMALLCODER_DEBUG=1 shows the traceback."""
    try:
        code = app(standalone_mode=False)  # without standalone mode, click returns typer.Exit's code
        sys.exit(code if isinstance(code, int) else 0)
    except SmallcoderError as e:
        if os.environ.get("SMALLCODER_DEBUG"):
            raise
        Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        Console(stderr=True).print("[yellow]interrupted — the run's worktree and record are kept; see `smallcoder runs list`[/]")
        sys.exit(130)
    except Exception as e:
        # Usage errors from typer/click (which typer may vendor): show them the way click does.
        show, code = getattr(e, "show", None), getattr(e, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        if type(e).__name__ == "Abort":
            sys.exit(130)
        raise


if __name__ == "__main__":
    main()
