"""Fill-in-the-middle training examples from a repository's files.

The transformation of Bavarian et al. 2022 ("Efficient Training of Language Models to Fill in the
Middle", arXiv:2207.14255): with probability ``fim_rate`` a document is split into prefix, middle
and suffix and written as ``{FIM prompt}{middle}{end}``, else kept as plain left-to-right text; of
the FIM examples a share ``spm_rate`` uses the SPM order. Spans are cut at line boundaries (1–3
whole lines) or at AST boundaries (a definition's body or whole block, from the repo map's
tree-sitter tags), the two shapes FIM benchmarks test (HumanEval-infilling, SAFIM).

The prompt text is made by fim/formats.py — the very functions the FIM engine sends at inference —
so the training format cannot drift from the runtime's. Files are split into train and eval by a
hash of their path: no eval file is ever seen in training, and the eval side is also written as
held-out samples in the FIM benchmark's shape (benchmarks/fim/samples.py ``Sample``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace
from typing import Any

from smallcoder.dataset.sources import SourceFile
from smallcoder.fim.definitions import block_at
from smallcoder.fim.formats import QWEN, FimFormat, format_for_model
from smallcoder.repomap.tags import extract_tags

# The token that ends a middle in training, per family: what the runtime stops on (formats.FimTokens.stops).
END_TOKEN = {"qwen": "<|endoftext|>", "codestral": "</s>"}
MAX_LINE_SPAN = 3


@dataclass(frozen=True)
class FimOptions:
    """``fim_rate``: share of examples turned into FIM (0–1); ``spm_rate``: share of those in SPM order;
    ``per_file``: examples drawn per file; ``eval_share``: share of files held out; ``seed``: the
    random seed (the same inputs and seed give the same files); ``repo_level``: Qwen's repo-level
    form (the file's path in the prompt; PSM only)."""

    fim_rate: float = 0.9
    spm_rate: float = 0.5
    per_file: int = 4
    eval_share: float = 0.1
    seed: int = 0
    repo_level: bool = False
    repo_name: str = "repo"


@dataclass(frozen=True)
class FimExample:
    """One example: ``text`` is what a trainer sees; the parts are kept for the eval samples.
    ``kind``: "line", "block" or "plain" (no FIM); ``line``: 0-based first line of the middle."""

    path: str
    kind: str
    order: str
    text: str
    prefix: str = ""
    middle: str = ""
    suffix: str = ""
    line: int = 0
    function: str = ""

    def sample(self) -> dict[str, Any]:
        """The example in the FIM benchmark's ``Sample`` shape (benchmarks/fim/samples.py)."""
        return {"id": f"{self.path}:{self.line + 1}", "path": self.path, "kind": self.kind, "line": self.line,
                "col": 0, "prefix": self.prefix, "suffix": self.suffix, "middle": self.middle,
                "function": self.function}


def family_format(family: str) -> FimFormat:
    """The FIM format of a model family name ("qwen", "codestral") or model name; raises ValueError if unknown."""
    fmt = QWEN if family.lower() == "qwen" else format_for_model(family)
    if fmt is None:
        raise ValueError(f"no FIM format known for '{family}' — use qwen or codestral")
    return fmt


def is_eval(path: str, share: float) -> bool:
    """Stable per-file split: the first 4 bytes of sha1(path) as a fraction below ``share``."""
    return _fraction(path) < share


def _fraction(path: str) -> float:
    return int.from_bytes(hashlib.sha1(path.encode("utf-8", "surrogatepass")).digest()[:4], "big") / 2**32


def _offsets(lines: list[str]) -> list[int]:
    out, at = [], 0
    for ln in lines:
        out.append(at)
        at += len(ln)
    out.append(at)
    return out


def _ast_spans(f: SourceFile, lines: list[str]) -> list[tuple[int, int, str]]:
    """(first line, end line exclusive, definition name) of each definition's body, or the whole block."""
    tags = extract_tags(f.path, f.text)
    if tags is None:
        return []
    bare = [ln.rstrip("\n") for ln in lines]
    spans = []
    for d in tags.definitions:
        if not 0 < d.line <= len(lines):
            continue
        n = block_at(bare, d.line).count("\n") + 1
        start, end = d.line - 1, d.line - 1 + n
        spans.append((start + 1, end, d.name) if n > 1 else (start, end, d.name))
    return [s for s in spans if s[1] > s[0]]


def examples_for_file(f: SourceFile, fmt: FimFormat, opts: FimOptions, rng: random.Random) -> list[FimExample]:
    """Up to ``opts.per_file`` examples of one file (at most one plain, none empty)."""
    lines = f.text.splitlines(keepends=True)
    if not lines:
        return []
    offs = _offsets(lines)
    blocks = _ast_spans(f, lines)
    end = END_TOKEN.get(fmt.family, "")
    out: list[FimExample] = []
    plain_done = False
    for _ in range(opts.per_file):
        if rng.random() >= opts.fim_rate:
            if not plain_done:
                out.append(FimExample(f.path, "plain", "", f.text + end))
                plain_done = True
            continue
        name = ""
        if blocks and rng.random() < 0.5:
            first, last, name = rng.choice(blocks)
        else:
            first = rng.randrange(len(lines))
            last = min(len(lines), first + rng.randint(1, MAX_LINE_SPAN))
        middle = f.text[offs[first]:offs[last]]
        if not middle.strip():
            continue
        prefix, suffix = f.text[:offs[first]], f.text[offs[last]:]
        order = "spm" if not opts.repo_level and rng.random() < opts.spm_rate else "psm"
        form = replace(fmt, order=order, repo_level=opts.repo_level)  # type: ignore[arg-type]
        prompt = form.render(prefix, suffix, path=f.path if opts.repo_level else "", repo_name=opts.repo_name)
        kind = "block" if last - first > 1 else "line"
        out.append(FimExample(f.path, kind, order, prompt + middle + end, prefix, middle, suffix, first, name))
    return out


def build_fim(files: list[SourceFile], fmt: FimFormat, opts: FimOptions) -> tuple[list[FimExample], list[FimExample]]:
    """(train, eval) examples of ``files`` (already filtered), split by file path."""
    rng = random.Random(opts.seed)
    held_paths = {f.path for f in files if is_eval(f.path, opts.eval_share)}
    if not held_paths and opts.eval_share > 0 and len(files) > 1:  # a small repository still gets an eval file
        held_paths = {min(files, key=lambda f: _fraction(f.path)).path}
    train: list[FimExample] = []
    held: list[FimExample] = []
    for f in files:
        (held if f.path in held_paths else train).extend(examples_for_file(f, fmt, opts, rng))
    return train, held
