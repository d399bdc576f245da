"""`smallcoder complete FILE:LINE:COL` (one completion, for scripts and tests) and
`smallcoder complete stats` (local acceptance statistics of editor completions)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from smallcoder.config import load_config
from smallcoder.errors import ConfigError
from smallcoder.paths import Home

_TARGET = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+)$")


def parse_target(target: str) -> tuple[Path, int, int]:
    """"FILE:LINE:COL" (1-based, as compilers print them) → (path, 0-based line, 0-based column)."""
    m = _TARGET.match(target)
    if m is None:
        raise ConfigError(f"expected FILE:LINE:COL (1-based, e.g. src/app.py:12:5), got {target!r}")
    line, col = int(m["line"]), int(m["col"])
    if line < 1 or col < 1:
        raise ConfigError(f"LINE and COL count from 1, got {line}:{col}")
    return Path(m["file"]), line - 1, col - 1


def complete(
    target: Annotated[str, typer.Argument(help="FILE:LINE:COL (1-based) where the cursor is, or `stats`.")],
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="PATH.gguf, ollama:NAME, openai:URL#MODEL, …")] = None,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="Model server URL.")] = None,
    ctx: Annotated[Optional[int], typer.Option("--ctx", help="Context window in tokens (default 4096 for completion).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object: the text, timings and token counts.")] = False,
    no_context: Annotated[bool, typer.Option("--no-context", help="Send only the text around the cursor, no other files.")] = False,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="Most tokens of completion.")] = 64,
) -> None:
    """Complete the code at FILE:LINE:COL (fill in the middle), or show acceptance statistics."""
    home = Home.from_env()
    if target == "stats":
        _stats(home, as_json)
        return
    from smallcoder.fim.context import EditorState
    from smallcoder.fim.engine import FimOptions
    from smallcoder.fim.setup import open_engine, repo_root

    path, line, col = parse_target(target)
    if not path.is_file():
        raise ConfigError(f"file not found: {path}")
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.split("\n")
    if line >= len(lines) or col > len(lines[line]):
        raise ConfigError(f"{target} is outside the file ({len(lines)} lines; line {line + 1} has "
                          f"{len(lines[min(line, len(lines) - 1)])} characters)")
    root = repo_root(path.resolve())
    config = load_config().with_flags(model=model, base_url=base_url, ctx=ctx)
    options = FimOptions(max_tokens=max_tokens, strategy="none" if no_context else "smallcoder")
    engine = open_engine(config, home, options=options, repo_name=root.name)
    try:
        rel = path.resolve().relative_to(root).as_posix()
        result = engine.complete(EditorState(rel, text, line, col, root=root))
    finally:
        engine.backend.close()
    if as_json:
        print(json.dumps({"model": engine.backend.name, **result.as_json()}, indent=2))
    else:
        print(result.text)


def _stats(home: Home, as_json: bool) -> None:
    from smallcoder.store.fim_stats import FimStats

    stats = FimStats(home.db)
    try:
        rows = stats.summary()
    finally:
        stats.close()
    if as_json:
        print(json.dumps([{**r.__dict__, "acceptance_pct": r.acceptance_pct} for r in rows], indent=2))
        return
    console = Console()
    if not rows:
        console.print("no completions shown yet — run `smallcoder lsp` from your editor (see docs/editors.md)")
        return
    table = Table("model", "language", "shown", "accepted", "partial", "accepted %", "p50 ms")
    for r in rows:
        table.add_row(r.model, r.language or "?", str(r.shown), str(r.accepted), str(r.partial),
                      f"{r.acceptance_pct:.1f}", "" if r.p50_latency_ms is None else f"{r.p50_latency_ms:.0f}")
    console.print(table)
