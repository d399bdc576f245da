"""`dataset check` end to end: open the model as sessions do, pick the examples, compare, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from smallcoder.dataset.check import CheckResult, check_example
from smallcoder.dataset.sft import sample_conversation
from smallcoder.errors import ConfigError, SmallcoderError

CHECK_CTX = 1024  # rendering needs no context; a small KV cache keeps the load cheap


def _examples(data: Path | None, template: str, dialect: str, limit: int) -> list[tuple[list[Any], list[Any]]]:
    if data is None:
        e = sample_conversation(template, dialect)
        return [(e.messages, e.tools)]
    if not data.is_file():
        raise SmallcoderError(f"dataset not found: {data}")
    rows = []
    for n, line in enumerate(data.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append((row["messages"], row.get("tools") or []))
        except (ValueError, KeyError, TypeError):
            raise SmallcoderError(f"{data}:{n}: not a TRL messages row ({{\"messages\": [...]}})") from None
        if len(rows) >= limit:
            break
    return rows


def run_check(model: Path, data: Path | None, template_file: Path | None, limit: int, console: Any) -> bool:
    """True when every example matches; prints one line per example and the diff of each mismatch."""
    from smallcoder.backends.specs import choose_spec, open_backend
    from smallcoder.config import load_config
    from smallcoder.paths import Home

    if not model.is_file() or model.suffix.lower() != ".gguf":
        raise ConfigError(f"--model must be a GGUF file (its template is the one inference uses): {model}")
    if template_file is None and data is not None and (data.parent / "chat_template.jinja").is_file():
        template_file = data.parent / "chat_template.jinja"
    if template_file is not None and not template_file.is_file():
        raise SmallcoderError(f"template not found: {template_file}")
    rows = _examples(data, "", "", limit) if data is not None else None  # bad input fails before the model loads
    home = Home.from_env()
    config = load_config().with_flags(model=str(model), ctx=CHECK_CTX)
    backend: Any = open_backend(choose_spec(config, home), config, home)
    try:
        if not hasattr(backend, "render") or not hasattr(backend, "facts"):
            raise ConfigError("dataset check needs the embedded engine (a GGUF and llama-cpp-python)")
        inference_template = backend.facts.chat_template or ""
        training = template_file.read_text(encoding="utf-8") if template_file else inference_template
        source = str(template_file) if template_file else f"{model.name} (its own)"
        total = CheckResult()
        if rows is None:
            rows = _examples(None, training, backend.dialect or "hermes", limit)
        for i, (messages, tools) in enumerate(rows):
            r = check_example(backend, training, messages, tools)
            total.compared += r.compared
            total.problems += r.problems
            console.print(f"example {i + 1}: {r.compared} prompt(s) compared — {'match' if r.ok else 'MISMATCH'}",
                          highlight=False)
            for p in r.problems[:2]:
                console.print(p, highlight=False, markup=False)
    finally:
        backend.close()
    if total.ok:
        console.print(f"ok: training template {source} renders byte for byte what smallcoder sends "
                      f"({total.compared} prompts); end of turn: {backend.eos!r}", highlight=False)
    else:
        console.print(f"FAILED: {len(total.problems)} mismatch(es) between {source} and what smallcoder sends — "
                      "a model tuned on this data would see different text at inference", highlight=False)
    return total.ok
