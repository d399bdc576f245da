"""`smallcoder chat`: the interactive terminal agent (prompt_toolkit line editor, rich output).

    smallcoder chat --repo ~/src/project --model model.gguf --mode auto-edit
    smallcoder                      # the same, on the current directory

Enter sends; Alt+Enter (or Esc then Enter) starts a new line; pasted text keeps its newlines.
Shift+Tab cycles the approval mode. Ctrl-C stops the current generation or tool and keeps the
chat; at the prompt, a second Ctrl-C in a row leaves (Ctrl-D too). Nothing is lost either way: the
conversation is saved after every turn and the worktree stays, so `--resume ID` continues it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from smallcoder.cli.chat_commands import run_command
from smallcoder.cli.chat_render import ChatRenderer, describe_args
from smallcoder.config import load_config
from smallcoder.errors import SmallcoderError
from smallcoder.paths import Home
from smallcoder.session.chat import ChatSession
from smallcoder.session.chat_input import command_attachment, expand
from smallcoder.session.chat_modes import Mode, next_mode, parse_mode
from smallcoder.session.setup import Session, open_session

MODE_NOTES = {
    Mode.PLAN: "reads and commands only; the worktree is mounted read-only",
    Mode.ASK: "asks before each edit and each command",
    Mode.AUTO_EDIT: "edits freely, asks before each command",
    Mode.AUTO: "edits and commands run freely inside the sandbox, no network",
    Mode.YOLO: "NO sandbox: the model's commands can read and change anything you can",
}
MODE_STYLE = {Mode.PLAN: "ansicyan", Mode.ASK: "ansigreen", Mode.AUTO_EDIT: "ansiyellow", Mode.AUTO: "ansimagenta",
              Mode.YOLO: "ansired bold"}


class Repl:
    """The loop around one ChatSession (which /resume may swap for another)."""

    def __init__(self, session: Session, chat: ChatSession, console: Console, renderer: ChatRenderer) -> None:
        self.session, self.chat, self.console, self.renderer = session, chat, console, renderer
        self.pending: list[str] = []  # output of !cmd and /tests, attached to the next message

    def describe_mode(self) -> str:
        return MODE_NOTES[self.chat.mode]

    def set_mode(self, mode: Mode) -> None:
        self.chat.set_mode(mode)  # SandboxUnavailable: the old mode stays

    def switch_to(self, ref: str) -> None:
        chat = ChatSession.resume(self.session, ref, ask_user=self.ask, observers=[self.renderer])
        self.chat.close()
        self.chat = chat
        self.console.print(f"resumed chat [bold]{chat.run_id}[/] ({len(chat.state.turns)} turns)")

    def ask(self, kind: str, tool: str, arguments: Mapping[str, Any]) -> str:
        """The approval question: y (once), n, a (always for this kind of call)."""
        from prompt_toolkit import prompt

        self.console.print(f"  [bold yellow]?[/] {kind}: [bold]{escape(tool)}[/] {escape(describe_args(arguments))}",
                           highlight=False)
        while True:
            try:
                answer = prompt("    allow? [y]es / [n]o / [a]lways: ").strip().lower()[:1]
            except (EOFError, KeyboardInterrupt):
                return "n"
            if answer in ("y", "n", "a"):
                return answer

    def handle(self, line: str) -> bool:
        """One input line; False ends the chat."""
        stripped = line.strip()
        if not stripped:
            return True
        if stripped.startswith("/"):
            return run_command(self, stripped)
        if stripped.startswith("!"):
            command = stripped[1:].strip()
            code, output = self.chat.shell(command)
            self.console.print(output.rstrip() or "(no output)", markup=False, highlight=False)
            self.pending.append(command_attachment(command, code, output))
            self.console.print(f"[dim](exit {code}; attached to your next message)[/]")
            return True
        expanded = expand(line, self.chat.wt.path)
        if expanded.attached:
            self.console.print(f"[dim]attached: {escape(', '.join(expanded.attached))}[/]")
        text = "\n\n".join([*self.pending, expanded.text]) if self.pending else expanded.text
        outcome = self.chat.send(text, user_text=line)  # SmallcoderError when it cannot fit: nothing is lost
        self.pending.clear()
        if outcome.compacted:
            self.console.print("[dim](the history was compacted to make room; earlier turns cannot be undone)[/]")
        if outcome.status == "interrupted":
            self.console.print("[yellow]stopped — the chat goes on (the turn is kept; /undo takes it back)[/]")
        elif outcome.status not in ("answered", "submitted"):
            self.console.print(f"[yellow]{outcome.status}:[/] {escape(outcome.answer)}")
        elif outcome.status == "submitted":
            self.console.print(outcome.answer, markup=False, highlight=False)
        turn = self.chat.state.turns[-1] if self.chat.state.turns else None
        if turn and turn.after and turn.before:
            patch = self.chat.snaps.diff(turn.before, turn.after)
            if patch.strip():
                self.renderer.diff(patch)
                self.console.print("[dim]/diff shows the whole change, /undo takes this turn back, /apply brings it "
                                   "into your tree[/]")
        return True

    def prompt_message(self) -> Any:
        from prompt_toolkit.formatted_text import FormattedText

        mode = self.chat.mode
        return FormattedText([(MODE_STYLE[mode], f"[{mode}]"), ("", " › ")])

    def toolbar(self) -> Any:
        from prompt_toolkit.formatted_text import FormattedText

        usage = self.chat.agent.usage
        tokens = usage.prompt_tokens + usage.completion_tokens
        line = (f" {self.session.backend.name} · chat {self.chat.run_id} · {len(self.chat.state.turns)} turns · "
                f"{tokens:,} tokens · Shift+Tab: mode · /help")
        return FormattedText([("", line)])

    def loop(self) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.key_binding import KeyBindings

        keys = KeyBindings()

        @keys.add("s-tab")
        def _cycle(event: Any) -> None:
            try:
                self.set_mode(next_mode(self.chat.mode))
            except SmallcoderError as e:
                self.console.print(f"[red]error:[/] {escape(str(e))}")
            event.app.invalidate()

        @keys.add("escape", "enter")
        def _newline(event: Any) -> None:
            event.current_buffer.insert_text("\n")

        history = FileHistory(str(self.session.home.cache / "chat_history"))
        prompt: PromptSession[str] = PromptSession(history=history, key_bindings=keys, bottom_toolbar=self.toolbar,
                               multiline=False, enable_history_search=True)
        interrupted = False
        while True:
            try:
                line = prompt.prompt(self.prompt_message)
            except KeyboardInterrupt:
                if interrupted:
                    break
                interrupted = True
                self.console.print("[dim](Ctrl-C again, /quit or Ctrl-D to leave)[/]")
                continue
            except EOFError:
                break
            interrupted = False
            try:
                if not self.handle(line):
                    break
            except SmallcoderError as e:
                self.console.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
            except KeyboardInterrupt:
                self.console.print("[yellow]stopped[/]")
        self.console.print(f"chat [bold]{self.chat.run_id}[/] saved — continue with "
                           f"[bold]smallcoder chat --resume {self.chat.run_id}[/]")


def chat(
    repo: Annotated[Path, typer.Option("--repo", "-r", help="The repository (default: current directory).")] = Path("."),
    model: Annotated[str | None, typer.Option("--model", "-m", help="PATH.gguf, hf:REPO[:QUANT], ollama:NAME, openai:URL#MODEL, auto or scripted:FILE.json")] = None,
    mode: Annotated[str | None, typer.Option("--mode", help="Approval mode: plan, ask, auto-edit, auto (default) or yolo (no sandbox).")] = None,
    resume: Annotated[str | None, typer.Option("--resume", help="Continue a recorded chat (id or unique prefix; /runs lists them).")] = None,
    ctx: Annotated[int | None, typer.Option("--ctx", help="Context window in tokens (default: from the model).")] = None,
    test_cmd: Annotated[str | None, typer.Option("--test-cmd", help="Command that runs the tests (default: detected).")] = None,
    max_steps: Annotated[int, typer.Option("--max-steps", min=1, help="Most model calls in one turn.")] = 20,
    allow_network: Annotated[bool, typer.Option("--allow-network", help="Let the model's commands reach the network.")] = False,
) -> None:
    """Talk with a model about a repository and let it change the code, on its own worktree."""
    try:
        import prompt_toolkit  # noqa: F401
    except ImportError:
        raise SmallcoderError("smallcoder chat needs prompt_toolkit: pip install 'smallcoder[chat]'") from None
    chosen = parse_mode(mode) if mode else None
    if not repo.is_dir():
        raise SmallcoderError(f"repository not found: {repo}")
    console = Console(highlight=False)
    renderer = ChatRenderer(console)
    config = load_config().with_flags(model=model, ctx=ctx, allow_network=allow_network)
    with open_session(config, Home.from_env(), stream=renderer.on_text) as session:
        repl = Repl(session, None, console, renderer)  # type: ignore[arg-type]  # the chat comes next
        if resume:
            repl.chat = ChatSession.resume(session, resume, mode=chosen, ask_user=repl.ask, observers=[renderer],
                                           max_steps=max_steps)
            console.print(f"resumed chat [bold]{repl.chat.run_id}[/] ({len(repl.chat.state.turns)} turns)")
        else:
            repl.chat = ChatSession.start(session, repo, mode=chosen or Mode.AUTO, ask_user=repl.ask,
                                          observers=[renderer], test_command=test_cmd, max_steps=max_steps)
        try:
            _banner(repl)
            repl.loop()
        finally:
            repl.chat.close()


def _banner(repl: Repl) -> None:
    chat, console = repl.chat, repl.console
    sandbox = chat.sandbox.record()
    where = "no sandbox" if not sandbox["sandboxed"] else f"{sandbox['kind']}, {'network' if sandbox['network'] else 'no network'}"
    console.print(f"[bold]smallcoder chat[/] · {escape(chat.session.backend.name)} · window "
                  f"{chat.session.backend.context_window:,} · worktree {escape(str(chat.wt.path))}")
    console.print(f"mode [bold]{chat.mode}[/] ({repl.describe_mode()}; {where}) · tests: "
                  f"{escape(chat.prep.test_command or 'none found')} · /help for commands")
    if chat.mode is Mode.YOLO:
        console.print("[bold red]warning:[/] yolo mode — the model's commands run WITHOUT a sandbox")


def default_to_chat(ctx: typer.Context) -> None:
    """`smallcoder` with no command starts a chat on the current directory."""
    if ctx.invoked_subcommand is None:
        chat()

