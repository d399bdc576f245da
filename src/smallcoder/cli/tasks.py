"""`smallcoder tasks mine`: build an evaluation set from a repository's own history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from smallcoder.errors import SmallcoderError
from smallcoder.session.batch_tasks import read_tasks, write_tasks
from smallcoder.session.mine import Candidate, github_issue_reader, mine

tasks_app = typer.Typer(help="Build and inspect task sets for `smallcoder batch`.", no_args_is_help=True)


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise SmallcoderError(f"--env wants NAME=VALUE, got {text!r}")
    return name.strip(), value


@tasks_app.command("mine")
def mine_command(
    repo: Annotated[Path, typer.Option("--repo", "-r", help="The git repository whose history to mine.")] = Path("."),
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the tasks (JSONL; appended to with --append).")] = Path("tasks.jsonl"),
    since: Annotated[Optional[str], typer.Option("--since", help="Only commits after this date (git's --since: 2022-01-01, '2 years ago').")] = None,
    max_tasks: Annotated[int, typer.Option("--max", min=1, help="Stop after this many verified tasks.")] = 20,
    max_candidates: Annotated[int, typer.Option("--max-candidates", min=1, help="Verify at most this many commits (each costs two test runs).")] = 200,
    min_files: Annotated[int, typer.Option("--min-files", min=1, help="Only fixes that change at least this many source files.")] = 1,
    name: Annotated[Optional[str], typer.Option("--name", help="Prefix of the instance ids (default: the origin's repository name).")] = None,
    allow_named: Annotated[bool, typer.Option("--allow-named-files", help="Keep tasks whose message names a changed file.")] = False,
    append: Annotated[bool, typer.Option("--append", help="Add to --out instead of refusing to replace it.")] = False,
    issues: Annotated[bool, typer.Option("--issues/--no-issues", help="When the origin is on GitHub, use the issue a commit links (#N) as the problem statement (needs the github extra).")] = True,
    env: Annotated[Optional[list[str]], typer.Option("--env", help="NAME=VALUE for the test runs, kept with the tasks; repeatable.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds one test run may take.")] = 120.0,
) -> None:
    """Commits that fix a bug and change a test become tasks: parent as base, test change hidden, verified."""
    if not repo.is_dir():
        raise SmallcoderError(f"repository not found: {repo}")
    if out.exists() and not append:
        raise SmallcoderError(f"{out} exists — pass --append to add to it, or choose another --out")
    variables = dict(_assignment(e) for e in env or [])
    earlier = read_tasks(out) if append and out.exists() and out.stat().st_size else []
    console = Console(stderr=True)
    kept = 0

    def heard(cand: Candidate, verdict: str) -> None:
        nonlocal kept
        kept += verdict == "kept"
        colour = "green" if verdict == "kept" else "dim"
        subject = cand.message.splitlines()[0][:70] if cand.message else ""
        console.print(f"[{colour}]{cand.commit[:10]} {verdict}[/] — {subject}", highlight=False)

    tasks = mine(repo, name=name, since=since, max_tasks=max_tasks, max_candidates=max_candidates,
                 min_source_files=min_files, exclude_named_files=not allow_named, timeout_s=timeout,
                 env=variables, issues=github_issue_reader(repo) if issues else None, on_candidate=heard)
    known = {t.instance_id for t in earlier}
    write_tasks(out, earlier + [t for t in tasks if t.instance_id not in known])
    console.print(f"{len(tasks)} verified task(s) written to {out}")
    raise typer.Exit(0 if tasks else 1)
