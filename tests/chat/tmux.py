"""Driving `smallcoder chat` in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

SMALLCODER = str(Path(sys.executable).with_name("smallcoder"))


def call(name: str, **arguments: object) -> str:
    """A tool call as Qwen writes it (Hermes format)."""
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>'


def script(path: Path, *outputs: str) -> str:
    """Write a scripted model's outputs; returns the --model spec."""
    path.write_text(json.dumps(list(outputs)), encoding="utf-8")
    return f"scripted:{path}"


class Terminal:
    """One tmux server and session (its own socket) running one command in a 200x50 terminal."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.socket = f"sc-chat-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        command = f"cd {shlex.quote(str(cwd))} && env {exports} {shlex.join(argv)}; echo EXITED $?; sleep 600"
        self._tmux("new-session", "-d", "-x", "200", "-y", "50", "-s", "chat", command)

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True).stdout

    def screen(self) -> str:
        """The whole scrollback and screen as text."""
        return self._tmux("capture-pane", "-p", "-J", "-t", "chat", "-S", "-2000")

    def type(self, text: str, enter: bool = True) -> None:
        self._tmux("send-keys", "-t", "chat", "-l", text)
        if enter:
            self._tmux("send-keys", "-t", "chat", "Enter")

    def paste(self, text: str) -> None:
        """Paste `text` as a terminal does (bracketed paste, so newlines do not send it)."""
        self._tmux("set-buffer", "-b", "paste", text)
        self._tmux("paste-buffer", "-p", "-b", "paste", "-t", "chat")

    def key(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "chat", *keys)

    def wait_for(self, text: str, timeout: float = 30.0, count: int = 1) -> str:
        """Wait until `text` is on the screen `count` times; AssertionError with the screen otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if shown.count(text) >= count:
                return shown
            if "EXITED " in shown and "EXITED" not in text:  # the chat ended: waiting longer cannot help
                raise AssertionError(f"the chat exited while waiting for {text!r}:\n{shown}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} (x{count}) not on the screen after {timeout}s:\n{shown}")
            time.sleep(0.2)

    def prompt_ready(self, count: int, timeout: float = 30.0) -> str:
        """Wait for the `count`-th input prompt ("[mode] ›"; capture-pane trims the trailing space)."""
        return self.wait_for("] ›", timeout, count)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)
