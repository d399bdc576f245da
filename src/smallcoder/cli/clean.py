"""`smallcoder runs clean [ID…|--all]`: remove run worktrees, only when asked.

Registered on `runs_app` by cli/runs.py. Branches are kept unless --branches;
a worktree with uncommitted changes is kept unless --force; a run that is
still going is never touched; the user's own working tree never is.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import typer
from rich.console import Console
from rich.text import Text

from smallcoder.errors import SmallcoderError
from smallcoder.paths import Home
from smallcoder.store.runs import RunStore
from smallcoder.workspace.cleanup import CleanResult, clean_run


def _runs(store: RunStore, run_ids: list[str], all_runs: bool) -> list[dict[str, Any]]:
    if all_runs:
        return store.list_runs(limit=None)
    return [store.get_run(ref)["run"] for ref in run_ids]


def clean_command(
    run_ids: Optional[list[str]] = typer.Argument(None, help="Run ids, or unique prefixes of them."),
    all_runs: bool = typer.Option(False, "--all", help="Every recorded run that is not running."),
    branches: bool = typer.Option(False, "--branches", help="Also delete the runs' smallcoder/<id> branches."),
    force: bool = typer.Option(False, "--force", help="Remove worktrees even when they hold uncommitted changes."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be removed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Remove the worktrees of finished runs (branches stay unless --branches)."""
    if not run_ids and not all_runs:
        raise SmallcoderError("name the runs to clean (see `smallcoder runs list`), or pass --all")
    with RunStore(Home.from_env().db) as store:
        runs = _runs(store, run_ids or [], all_runs)
    results: list[CleanResult] = []
    for run in runs:
        if run["status"] == "running":
            results.append(CleanResult(run["id"], kept=["refused: the run is still going"]))
            continue
        if not run.get("worktree") or not run.get("branch"):
            results.append(CleanResult(run["id"], kept=["nothing recorded to clean"]))
            continue
        results.append(clean_run(run["id"], run["repo"], run["worktree"], run["branch"],
                                 branches=branches, force=force, dry_run=dry_run))
    if all_runs:  # runs cleaned before have nothing left; listing them is noise
        results = [r for r in results if r.removed or any(k.startswith("refused") for k in r.kept)]
    if as_json:
        print(json.dumps([{"id": r.run_id, "removed": r.removed, "kept": r.kept} for r in results], indent=2))
    else:
        _print(results, dry_run)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


def _print(results: list[CleanResult], dry_run: bool) -> None:
    console = Console()
    if not results:
        console.print("nothing to clean")
    verb = "would remove" if dry_run else "removed"
    for r in results:
        parts = [Text(r.run_id, style="bold")]
        parts += [Text(f"  {verb} {what}", style="green") for what in r.removed]
        parts += [Text(f"  kept {what}" if not what.startswith("refused") else f"  {what}",
                       style="red" if what.startswith("refused") else "dim") for what in r.kept]
        console.print(Text.assemble(*parts))
