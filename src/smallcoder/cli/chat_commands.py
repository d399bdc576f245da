"""The chat's slash commands. Each takes the REPL's state and the text after the command name.

Errors a user can fix (a bad turn number, a conflict on /apply) raise SmallcoderError; the REPL
prints them as one line and the chat goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from smallcoder.errors import SmallcoderError
from smallcoder.session.chat_modes import Mode, parse_mode
from smallcoder.session.chat_state import export_jsonl, export_markdown

if TYPE_CHECKING:
    from smallcoder.cli.chat import Repl

HELP = [
    ("/help", "this list"),
    ("/model", "the model, its context window and runtime"),
    ("/mode [MODE]", "show or set the approval mode: plan, ask, auto-edit, auto, yolo (Shift+Tab cycles)"),
    ("/diff [TURN]", "the change so far against your tree, or what one turn changed"),
    ("/apply", "bring the change (since the last /apply) into your working tree"),
    ("/undo  /redo", "take back the last turn (files and conversation), or bring it back"),
    ("/rewind N", "go back to just before turn N"),
    ("/compact", "replace the history with a short summary"),
    ("/context", "tokens of system prompt, tools, history and attachments against the window"),
    ("/tests", "run the project's tests (the result is attached to your next message)"),
    ("/runs  /resume ID", "list earlier chats; continue one"),
    ("/export md|jsonl [PATH]", "write the conversation to a file"),
    ("/clear", "start a new conversation on the same files"),
    ("/quit", "leave (the worktree and the record stay; resume with --resume ID)"),
    ("@path  @path#L10-40", "attach a file (or lines) to your message"),
    ("!cmd", "run a command in the worktree (sandboxed) and attach its output"),
]


def cmd_help(repl: Repl, arg: str) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    for name, what in HELP:
        table.add_row(f"[bold]{escape(name)}[/]", what)
    repl.console.print(table)


def cmd_model(repl: Repl, arg: str) -> None:
    backend = repl.chat.session.backend
    caps = backend.capabilities
    runtime = backend.run_record.get("runtime", "?")
    repl.console.print(f"{escape(backend.name)} · window {backend.context_window:,} tokens · runtime {escape(str(runtime))}"
                       f" · streaming {'yes' if caps.streaming else 'no'} · native tools {'yes' if caps.native_tools else 'no'}",
                       highlight=False)
    if arg.strip():
        repl.console.print("[dim]to use another model, leave and start again with --model SPEC --resume "
                           f"{repl.chat.run_id}[/]")


def cmd_mode(repl: Repl, arg: str) -> None:
    if arg.strip():
        repl.set_mode(parse_mode(arg))
    repl.console.print(f"mode: [bold]{repl.chat.mode}[/] — {repl.describe_mode()}")


def cmd_diff(repl: Repl, arg: str) -> None:
    turn = _number(arg, "/diff takes a turn number") if arg.strip() else None
    repl.renderer.diff(repl.chat.diff(turn))


def cmd_apply(repl: Repl, arg: str) -> None:
    patch = repl.chat.apply()
    if not patch.strip():
        repl.console.print("[dim]nothing new to apply[/]")
        return
    files = sorted({ln[6:] for ln in patch.splitlines() if ln.startswith("+++ b/")})
    repl.console.print(f"[green]applied to {escape(str(repl.chat.wt.repo))}:[/] {escape(', '.join(files))}")


def cmd_undo(repl: Repl, arg: str) -> None:
    turn = repl.chat.undo()
    if turn is None:
        repl.console.print("[dim]nothing to undo[/]")
    else:
        repl.console.print(f"undid turn {turn.number} [dim]({escape(_short(turn.user))})[/]")


def cmd_redo(repl: Repl, arg: str) -> None:
    turn = repl.chat.redo()
    if turn is None:
        repl.console.print("[dim]nothing to redo[/]")
    else:
        repl.console.print(f"redid turn {turn.number} [dim]({escape(_short(turn.user))})[/]")


def cmd_rewind(repl: Repl, arg: str) -> None:
    if not arg.strip():
        for t in repl.chat.state.turns:
            repl.console.print(f"  {t.number}. {escape(_short(t.user))} [dim]{t.status}[/]")
        repl.console.print("[dim]/rewind N goes back to just before turn N[/]")
        return
    undone = repl.chat.rewind(_number(arg, "/rewind takes a turn number"))
    repl.console.print(f"rewound {len(undone)} turn(s); /redo brings them back one by one")


def cmd_compact(repl: Repl, arg: str) -> None:
    saved = repl.chat.compact()
    repl.console.print(f"history compacted: {saved:,} tokens fewer" if saved else "[dim]nothing to compact[/]")


def cmd_context(repl: Repl, arg: str) -> None:
    use = repl.chat.context(attached="\n\n".join(repl.pending))
    for name, tokens in (("system prompt", use.system), ("tools", use.tools), ("history", use.history),
                         ("attached", use.attached), ("reply (reserved)", use.reply)):
        repl.console.print(f"  {name:<17} {tokens:>8,}  {_bar(tokens, use.window)}")
    free = use.window - use.total
    repl.console.print(f"  {'total':<17} {use.total:>8,} of {use.window:,} ({100 * use.total / use.window:.0f}%), "
                       f"{max(free, 0):,} free")
    if not use.fits:
        repl.console.print(f"[bold red]warning:[/] the next request would not fit ({-free:,} tokens over): "
                           "/compact, drop attachments, or /clear")
    elif free < use.window // 10:
        repl.console.print("[yellow]warning:[/] less than 10% of the window is left; /compact soon")


def cmd_tests(repl: Repl, arg: str) -> None:
    test = repl.chat.run_tests()
    if test is None:
        raise SmallcoderError("no test command found for this project; start the chat with --test-cmd")
    tail = test.output.rstrip()[-2_000:]
    repl.console.print(tail, markup=False, highlight=False)
    repl.pending.append(f"I ran the tests (`{test.command}`): {'PASSED' if test.passed else 'FAILED'}\n```\n{tail}\n```")
    repl.console.print("[dim](attached to your next message)[/]")


def cmd_runs(repl: Repl, arg: str) -> None:
    chats = [r for r in repl.chat.session.store.list_runs(limit=200) if (r.get("extra") or {}).get("kind") == "chat"]
    if not chats:
        repl.console.print("[dim]no chats recorded yet[/]")
        return
    for r in chats[:20]:
        turns = len(((r.get("extra") or {}).get("chat") or {}).get("turns", []))
        here = " [green](this chat)[/]" if r["id"] == repl.chat.run_id else ""
        repl.console.print(f"  [bold]{r['id']}[/] {str(r.get('started_at', ''))[:16]} {turns} turn(s) "
                           f"{escape(_short(r.get('task') or ''))}{here}", highlight=False)
    repl.console.print("[dim]/resume ID continues one (or `smallcoder chat --resume ID`)[/]")


def cmd_resume(repl: Repl, arg: str) -> None:
    if not arg.strip():
        raise SmallcoderError("/resume takes a chat id; /runs lists them")
    repl.switch_to(arg.strip())


def cmd_export(repl: Repl, arg: str) -> None:
    parts = arg.split(maxsplit=1)
    kind = parts[0].lower() if parts else "md"
    if kind not in ("md", "jsonl"):
        raise SmallcoderError("/export takes md or jsonl, then an optional path")
    path = Path(parts[1]).expanduser() if len(parts) > 1 else Path(f"smallcoder-chat-{repl.chat.run_id}.{kind}")
    messages = repl.chat.messages
    text = export_markdown(messages, f"smallcoder chat {repl.chat.run_id}") if kind == "md" else export_jsonl(messages)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise SmallcoderError(f"cannot write {path}: {e.strerror or e}") from e
    repl.console.print(f"wrote {escape(str(path))} ({len(messages)} messages)")


def cmd_clear(repl: Repl, arg: str) -> None:
    repl.chat.clear()
    repl.pending.clear()
    repl.console.print("new conversation (the files stay as they are)")


COMMANDS: dict[str, Callable[[Repl, str], None]] = {
    "help": cmd_help, "model": cmd_model, "mode": cmd_mode, "diff": cmd_diff, "apply": cmd_apply,
    "undo": cmd_undo, "redo": cmd_redo, "rewind": cmd_rewind, "compact": cmd_compact, "context": cmd_context,
    "tests": cmd_tests, "runs": cmd_runs, "resume": cmd_resume, "export": cmd_export, "clear": cmd_clear,
}


def run_command(repl: Repl, line: str) -> bool:
    """Run one slash command; False when it was /quit (or /exit)."""
    name, _, arg = line[1:].partition(" ")
    name = name.lower()
    if name in ("quit", "exit", "q"):
        return False
    handler = COMMANDS.get(name)
    if handler is None:
        raise SmallcoderError(f"unknown command /{name}; /help lists them")
    handler(repl, arg)
    return True


def _number(text: str, message: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise SmallcoderError(message) from None


def _short(text: str, n: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= n else line[: n - 1] + "…"


def _bar(tokens: int, window: int, width: int = 30) -> str:
    filled = min(width, round(width * tokens / max(window, 1)))
    return "[cyan]" + "█" * filled + "[/]" + "[dim]" + "·" * (width - filled) + "[/]"


__all__ = ["COMMANDS", "HELP", "Mode", "run_command"]
