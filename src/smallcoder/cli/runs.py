"""`smallcoder runs …`: list recorded runs and show one in detail.

Mounted by the main app with `app.add_typer(runs_app, name="runs")`.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from smallcoder.cli.exitcodes import USAGE
from smallcoder.cli.render import DiffView
from smallcoder.errors import SmallcoderError
from smallcoder.paths import Home
from smallcoder.store.runs import RunStore
from smallcoder.store.timing import PARTS, time_split
from smallcoder.units import duration

runs_app = typer.Typer(help="List and inspect recorded runs.", no_args_is_help=True)

_STATUS_STYLE = {
    "resolved": "green",
    "changed-unverified": "yellow",
    "unresolved": "yellow",
    "error": "red",
    "cancelled": "magenta",
    "running": "cyan",  # the run's process is still working
    "interrupted": "magenta",  # its process died before it recorded an outcome
    # Words runs recorded before the status vocabulary (docs/outcomes.md) may carry.
    "submitted": "yellow",
    "limits_exceeded": "yellow",
    "format_errors": "yellow",
}


# -- small formatters ------------------------------------------------------


def _mark(passed: bool | None) -> Text:
    if passed is None:
        return Text("–", style="dim")
    return Text("✓", style="green") if passed else Text("✗", style="red")


def _tests(run: dict[str, Any]) -> Text:
    return Text.assemble(_mark(run["tests_before_passed"]), "→", _mark(run["tests_after_passed"]))


def _status(status: str) -> Text:
    return Text(status, style=_STATUS_STYLE.get(status, ""))


def _when(iso: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not iso:
        return "–"
    return datetime.fromisoformat(iso).astimezone().strftime(fmt)


def _count(n: int) -> str:
    return f"{n / 1000:.1f}k" if n >= 10_000 else str(n)


def _tokens(d: dict[str, Any]) -> str:
    """Compact `prompt+completion`, for the list."""
    return f"{_count(d['prompt_tokens'])}+{_count(d['completion_tokens'])}"


def _tokens_long(d: dict[str, Any]) -> str:
    """With the share of prompt tokens served from the KV cache, which decides speed locally."""
    cached = f" ({d['cached_tokens'] / d['prompt_tokens']:.0%} cached)" if d["prompt_tokens"] else ""
    return f"{d['prompt_tokens']} prompt{cached} + {d['completion_tokens']} completion tokens"


def _first_line(text: str, width: int = 60) -> str:
    lines = text.strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _short(text: str, lines: int = 3, width: int = 160) -> str:
    """The first few lines of a long text, each clipped, with a note of what was left out."""
    all_lines = text.rstrip().splitlines()
    kept = [ln if len(ln) <= width else ln[: width - 1] + "…" for ln in all_lines[:lines]]
    if len(all_lines) > lines:
        kept.append(f"… ({len(all_lines) - lines} more lines)")
    return "\n".join(kept)


def _args(arguments: Any, width: int = 100) -> str:
    if isinstance(arguments, dict):
        text = ", ".join(f"{k}={json.dumps(v)}" for k, v in arguments.items())
    else:
        text = json.dumps(arguments)
    return text if len(text) <= width else text[: width - 1] + "…"


def _isolation(iso: dict[str, Any] | None) -> Text:
    """How the run's commands were isolated (recorded by the fix pipeline), in a few words."""
    if not iso:
        return Text("not recorded", style="dim")
    if not iso.get("sandboxed"):
        return Text("none — commands ran unsandboxed", style="yellow")
    network = "network allowed" if iso.get("network") else "no network"
    return Text(f"{iso.get('kind')} ({network})")


def _tries(tries: list[dict[str, Any]]) -> Text:
    """Each try of a `fix --tries` run (session/tries.py) in a few words: its tests and the one kept."""
    parts = []
    for t in tries:
        if t.get("tests_passed"):
            tests = "tests pass"
        elif t.get("changed_lines"):
            failing = t.get("failing_tests")
            tests = "tests fail" if failing is None else f"{failing} failing"
        else:
            tests = "no change"
        parts.append(f"{t['try']}: {tests}" + (" (kept)" if t.get("kept") and len(tries) > 1 else ""))
    return Text(" · ".join(parts))


def _open_store() -> RunStore:
    return RunStore(Home.from_env().db)


def _fail(err: SmallcoderError) -> typer.Exit:
    print(f"error: {err}", file=sys.stderr)
    return typer.Exit(code=USAGE)


# -- list ------------------------------------------------------------------


@runs_app.command("list")
def list_command(
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many runs to show, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List recent runs."""
    try:
        with _open_store() as store:
            runs = store.list_runs(limit=limit)
    except SmallcoderError as err:
        raise _fail(err) from err
    if as_json:
        print(json.dumps(runs, indent=2))
        return
    console = Console()
    if not runs:
        console.print("No runs recorded yet.")
        return
    table = Table(box=None, header_style="bold", padding=(0, 1, 0, 0))
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("started", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("tests", no_wrap=True)
    table.add_column("steps", justify="right")
    table.add_column("tokens", justify="right", no_wrap=True)
    table.add_column("wall", justify="right", no_wrap=True)
    # The only column allowed to shrink: rich collapses wrappable columns first.
    table.add_column("task", ratio=1)
    for run in runs:
        table.add_row(
            run["id"],
            _when(run["started_at"], "%m-%d %H:%M"),
            _status(run["status"]),
            _tests(run),
            str(run["steps"]),
            _tokens(run),
            duration(run["wall_s"]),
            Text(_first_line(run["task"]), no_wrap=True, overflow="ellipsis"),
        )
    console.print(table)


# -- show ------------------------------------------------------------------


def _summary(run: dict[str, Any], split: dict[str, Any] | None = None) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    extra = run.get("extra") or {}
    rows: list[tuple[str, Any]] = [
        ("status", Text.assemble(_status(run["status"]), f"  {run['reason']}" if run["reason"] else "")),
        ("stopped", extra.get("stop_reason") or "–"),
        ("model", run["model"]),
        ("repo", run["repo"]),
        ("branch", f"{run['branch']} (from {run['base_commit'][:12]})" if run["base_commit"] else run["branch"]),
        ("worktree", run["worktree"]),
        ("commit", run["commit_sha"] or "–"),
        ("tests", Text.assemble(_tests(run), f"  {run['test_command'] or 'no test command'}")),
        ("steps", f"{run['steps']} steps, {run['model_calls']} model calls"),
        ("tokens", _tokens_long(run)),
        ("context", str(run["context_window"]) if run["context_window"] else "–"),
        ("isolation", _isolation((run.get("extra") or {}).get("isolation"))),
        ("started", _when(run["started_at"])),
        ("wall time", duration(run["wall_s"])),
    ]
    if split is not None:
        rows.append(("time went to", _split_line(split["total"])))
    if extra.get("tries"):
        rows.append(("tries", _tries(extra["tries"])))
    for deletion in extra.get("deletions") or []:
        rows.append(("warning", Text(f"the change deletes {_deleted(deletion)}", style="yellow")))
    for label, value in rows:
        grid.add_row(label, value if isinstance(value, Text) else Text(str(value)))
    task = Text(run["task"].strip() or "(no task recorded)")
    return Panel(Group(task, Text(""), grid), title=f"run {run['id']}", title_align="left")


_PART_NAMES = {"prompt_s": "prompt", "generation_s": "generation", "tools_s": "tools", "tests_s": "tests",
               "overhead_s": "overhead"}


def _split_line(split: dict[str, Any]) -> str:
    """`12.3s: prompt 8.1s (66%) · generation 3.2s (26%) · …`, parts under 1% of the wall left out."""
    wall = split["wall_s"] or 0.0
    parts = [f"{_PART_NAMES[p]} {duration(split[p])} ({split[p] / wall:.0%})"
             for p in PARTS if wall and split[p] / wall >= 0.01]
    return f"{duration(wall)}: " + (" · ".join(parts) if parts else "not split (recorded before step timings)")


def _deleted(d: dict[str, Any]) -> str:
    """A recorded deletion as workspace/deletions.py words it."""
    what = f"{d['name']}()" if d.get("kind") in ("function", "method") else f"{d.get('kind')} {d['name']}"
    return f"{what} in {d['path']}"


def _test_line(t: dict[str, Any]) -> Text:
    outcome = "timed out" if t["timed_out"] else ("passed" if t["passed"] else f"failed (exit {t['exit_code']})")
    return Text.assemble(
        _mark(t["passed"]), f" tests {t['phase']}: ", (outcome, "green" if t["passed"] else "red"),
        (f" · {duration(t['duration_s'])} · {t['command']}", "dim"),
    )


def _step_items(detail: dict[str, Any]) -> dict[int, list[Any]]:
    """Everything that happened, grouped by step, in recording order within each step."""
    rows: list[tuple[int, str, int, dict[str, Any]]] = []
    for kind in ("model_calls", "tool_executions", "format_problems", "fresh_attempts"):
        rows += [(r["step"], r["recorded_at"], r["id"], {**r, "kind": kind}) for r in detail[kind]]
    rows += [(t["step"], t["recorded_at"], t["id"], {**t, "kind": "test_runs"})
             for t in detail["test_runs"] if t["phase"] not in ("before", "after")]
    steps: dict[int, list[Any]] = {}
    for step, _, _, item in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        steps.setdefault(step, []).append(item)
    return steps


def _render_item(item: dict[str, Any]) -> list[Any]:
    kind = item["kind"]
    if kind == "model_calls":
        head = Text.assemble(
            ("model ", "bold"),
            f"{_tokens_long(item)} · {duration(item['latency_s'])} · {item['finish_reason']}",
            f" · cut: {item['cut']}" if item.get("cut") else "",
        )
        out: list[Any] = [head]
        if item["text"].strip():
            out.append(Text(_short(item["text"]), style="dim"))
        return out
    if kind == "tool_executions":
        head = Text.assemble(
            _mark(item["ok"]), " ", (item["tool"], "bold"), f"({_args(item['arguments'])})",
            (f" · {duration(item['duration_s'])}", "dim"),
        )
        return [head, Text(_short(item["observation"]), style="dim")] if item["observation"] else [head]
    if kind == "format_problems":
        return [Text.assemble(("format problem: ", "yellow"), _first_line(item["message"], 160))]
    if kind == "fresh_attempts":
        return [Text.assemble((f"↻ attempt {item['attempt']} from the start", "yellow"),
                              f" (temperature {item['temperature']}): {item['reason']}")]
    return [_test_line(item)]


@runs_app.command("show")
def show_command(
    run_id: str = typer.Argument(..., help="A run id, or any unique prefix of one."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole run as JSON."),
    diff_only: bool = typer.Option(False, "--diff", help="Print only the run's diff, exactly, for `git apply`."),
) -> None:
    """Show one run: summary, each step, and the final diff."""
    if as_json and diff_only:
        raise _fail(SmallcoderError("--json and --diff print different things; pass one of them"))
    try:
        with _open_store() as store:
            detail = store.get_run(run_id)
    except SmallcoderError as err:
        raise _fail(err) from err
    if diff_only:  # raw bytes to stdout: `smallcoder runs show ID --diff | git apply`
        diff = detail["run"]["diff"]
        if not diff.strip():
            print(f"run {detail['run']['id']} made no changes", file=sys.stderr)
        sys.stdout.write(diff if diff.endswith("\n") or not diff else diff + "\n")
        return
    split = time_split(detail)
    if as_json:
        print(json.dumps({**detail, "time_split": split}, indent=2))
        return
    run = detail["run"]
    step_split = {s["step"]: s for s in split["steps"]}
    console = Console()
    console.print(_summary(run, split))
    for t in detail["test_runs"]:
        if t["phase"] == "before":
            console.print(_test_line(t))
    for step, items in _step_items(detail).items():
        console.print(Rule(f"step {step}", align="left", style="dim"))
        for item in items:
            for renderable in _render_item(item):
                console.print(renderable)
        if step in step_split:
            console.print(Text(f"time {_split_line(step_split[step])}", style="dim"))
    after = [t for t in detail["test_runs"] if t["phase"] == "after"]
    if after:
        console.print(Rule("final tests", align="left", style="dim"))
        for t in after:
            console.print(_test_line(t))
    console.print(Rule("diff", align="left", style="dim"))
    if run["diff"].strip():
        console.print(DiffView(run["diff"]), soft_wrap=True, end="")
    else:
        console.print(Text("(no changes)", style="dim"))


# -- clean (its own file; registered here so `runs` has every subcommand) ----

from smallcoder.cli.clean import clean_command  # noqa: E402

runs_app.command("clean")(clean_command)

from smallcoder.viewer.command import serve_command  # noqa: E402  (the web stack loads only when it runs)

runs_app.command("serve")(serve_command)
