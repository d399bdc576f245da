"""`smallcoder lsp`: the language server on stdin/stdout (see docs/editors.md)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from smallcoder.config import load_config
from smallcoder.errors import ConfigError
from smallcoder.paths import Home


def lsp(
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="PATH.gguf, ollama:NAME, openai:URL#MODEL, …")] = None,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="Model server URL.")] = None,
    ctx: Annotated[Optional[int], typer.Option("--ctx", help="Context window in tokens (default 4096 for completion).")] = None,
    debounce_ms: Annotated[int, typer.Option("--debounce-ms", min=0, help="Wait this long after a keystroke before generating.")] = 60,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="Most tokens per suggestion.")] = 64,
    no_context: Annotated[bool, typer.Option("--no-context", help="Send only the text around the cursor, no other files.")] = False,
    no_stats: Annotated[bool, typer.Option("--no-stats", help="Do not record acceptance statistics.")] = False,
    log_file: Annotated[Optional[Path], typer.Option("--log-file", help="Write the server's log here (stdout is the protocol).")] = None,
) -> None:
    """Serve fill-in-the-middle completions to an editor over the Language Server Protocol (stdio)."""
    try:
        from smallcoder.lsp.server import build_server
    except ImportError as e:
        raise ConfigError("the language server needs pygls — install it with `pip install 'smallcoder[lsp]'`") from e
    from smallcoder.fim.engine import FimOptions
    from smallcoder.fim.setup import open_engine
    from smallcoder.store.fim_stats import FimStats

    if log_file is not None:
        logging.basicConfig(filename=log_file, level=logging.DEBUG if os.environ.get("SMALLCODER_DEBUG") else logging.INFO)
    home = Home.from_env()
    config = load_config().with_flags(model=model, base_url=base_url, ctx=ctx)
    options = FimOptions(max_tokens=max_tokens, strategy="none" if no_context else "smallcoder")
    stats = None if no_stats else FimStats(home.db)
    server = build_server(lambda: open_engine(config, home, options=options), debounce_s=debounce_ms / 1000,
                          stats=stats)
    try:
        server.start_io()
    finally:
        if stats is not None:
            stats.close()
        if server.engine_future.done() and server.engine_future.exception() is None:
            server.engine_future.result().backend.close()


if __name__ == "__main__":  # `python -m smallcoder.cli.lsp`: the server without loading the whole CLI
    typer.run(lsp)
