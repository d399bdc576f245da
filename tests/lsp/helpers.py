"""Shared pieces of the language-server tests: the server command, a workspace, LSP messages."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from lsprotocol import types as lsp

MODEL = Path.home() / ".cache/smallcoder-test-models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def server_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "smallcoder.cli.lsp", *args]


def server_env(home: Path | None = None) -> dict[str, str]:
    """The server's environment: its own data directory (``home``, made when not given) and a config
    file asking llama.cpp for one thread (on an oversubscribed machine its spinning threads lose badly)."""
    home = home or Path(tempfile.mkdtemp(prefix="smallcoder-lsp-home-"))
    (home / "config.toml").write_text("threads = 1\n")
    return {**os.environ, "SMALLCODER_HOME": str(home), "SMALLCODER_CONFIG": str(home / "config.toml")}


def make_workspace() -> Path:
    """A small Python project: a module with helpers and the file being edited."""
    root = Path(tempfile.mkdtemp(prefix="smallcoder-lsp-ws-"))
    (root / "shapes.py").write_text(
        "import math\n\n\ndef circle_area(radius):\n    return math.pi * radius ** 2\n\n\n"
        "def square_area(side):\n    return side * side\n"
    )
    (root / "main.py").write_text(
        "from shapes import circle_area, square_area\n\n\ndef total_area(radii):\n    total = 0\n"
        "    for r in radii:\n        total += \n    return total\n"
    )
    return root


def initialize_params(root: Path, *, inline: bool = True) -> lsp.InitializeParams:
    caps = lsp.ClientCapabilities(
        text_document=lsp.TextDocumentClientCapabilities(
            inline_completion=lsp.InlineCompletionClientCapabilities() if inline else None,
            completion=lsp.CompletionClientCapabilities(),
        ),
        window=lsp.WindowClientCapabilities(),
    )
    return lsp.InitializeParams(capabilities=caps, root_uri=root.as_uri(),
                                workspace_folders=[lsp.WorkspaceFolder(root.as_uri(), root.name)])


def open_doc(client, path: Path, version: int = 1) -> None:
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(path.as_uri(), "python", version, path.read_text())))


def inline_params(path: Path, line: int, col: int) -> lsp.InlineCompletionParams:
    return lsp.InlineCompletionParams(
        context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Automatic),
        text_document=lsp.TextDocumentIdentifier(path.as_uri()), position=lsp.Position(line, col))


def insert(client, path: Path, version: int, line: int, col: int, text: str) -> None:
    """One keystroke (or paste): insert ``text`` at line:col."""
    at = lsp.Position(line, col)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(version=version, uri=path.as_uri()),
        [lsp.TextDocumentContentChangePartial(range=lsp.Range(at, at), text=text)]))
