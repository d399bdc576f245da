"""A calibration text for llama.cpp's importance-matrix quantization (``llama-imatrix -f FILE``).

llama-imatrix reads one plain-text file, cuts it into chunks of the context size (512 tokens by
default) and accumulates activation statistics over them (tools/imatrix/README.md in llama.cpp).
So the file should look like what the quantized model will see: the user's code, in the user's
languages, and chat-formatted tool-call transcripts rendered with the model's own template, so the
weights that tool calling depends on are measured too.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from smallcoder.dataset.sft import ChatExample
from smallcoder.dataset.sources import SourceFile
from smallcoder.dataset.template import render_for_training

CHUNK_LINES = 60  # about 512–800 tokens of code: one imatrix chunk
SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Calibration:
    """The text and what it holds: characters of ``code`` and of ``transcripts``, chunks per language."""

    text: str
    code_chars: int
    transcript_chars: int
    languages: dict[str, int]


def code_chunks(files: list[SourceFile], rng: random.Random) -> dict[str, list[str]]:
    """Chunks of CHUNK_LINES lines per language, shuffled within each language."""
    by_lang: dict[str, list[str]] = defaultdict(list)
    for f in files:
        lines = f.text.splitlines(keepends=True)
        for i in range(0, len(lines), CHUNK_LINES):
            chunk = "".join(lines[i:i + CHUNK_LINES])
            if chunk.strip():
                by_lang[f.language or "text"].append(chunk)
    for chunks in by_lang.values():
        rng.shuffle(chunks)
    return by_lang


def build_calibration(files: list[SourceFile], transcripts: list[ChatExample], template: str, *,
                      chars: int = 400_000, tool_share: float = 0.25, seed: int = 0, eos: str = "") -> Calibration:
    """About ``chars`` characters: ``tool_share`` of them transcripts rendered with ``template`` (as many as
    there are, up to that share), the rest code taken round-robin across languages so that no single
    language crowds the others out. Deterministic for a given ``seed``."""
    rng = random.Random(seed)
    parts: list[str] = []
    tool_budget = int(chars * tool_share) if transcripts else 0
    used_tools = 0
    order = list(transcripts)
    rng.shuffle(order)
    for e in order:
        if used_tools >= tool_budget:
            break
        text = render_for_training(template, e.messages, e.tools or None, eos=eos)
        parts.append(text)
        used_tools += len(text)
    pools = code_chunks(files, rng)
    langs = {lang: 0 for lang in pools}
    used_code = 0
    while used_code < chars - used_tools and any(pools.values()):
        for lang, pool in pools.items():
            if pool and used_code < chars - used_tools:
                chunk = pool.pop()
                parts.append(chunk)
                used_code += len(chunk)
                langs[lang] += 1
    rng.shuffle(parts)  # interleave code and transcripts: imatrix chunks then mix both
    return Calibration(SEPARATOR.join(parts), used_code, used_tools, langs)
