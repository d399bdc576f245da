"""The three builds behind `smallcoder dataset fim|sft|calibration`: gather, clean, write, count.

Each returns a ``Built``: the files written with their row counts and the removal counts, also saved
as ``manifest.json`` next to the data so a training run can cite what went in.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from smallcoder.dataset.calibration import build_calibration
from smallcoder.dataset.fim import FimOptions, build_fim, family_format
from smallcoder.dataset.hygiene import DEFAULT_DENY_LICENSES, Deduplicator, Removals
from smallcoder.dataset.sft import ChatExample, dedupe, from_history, from_runs
from smallcoder.dataset.sources import collect
from smallcoder.dataset.template import ModelTemplate
from smallcoder.dataset.writers import write_sft, write_text_dataset
from smallcoder.errors import SmallcoderError


@dataclass
class Built:
    """``files``: path → rows (or characters, for calibration text); ``removed``: reason → count;
    ``info``: anything else worth printing (split sizes, languages)."""

    out: Path
    files: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def save_manifest(self, command: str, options: dict[str, Any]) -> None:
        data = {"command": command, "options": options, **asdict(self), "out": str(self.out)}
        target = self.out if self.out.is_dir() else self.out.parent
        name = "manifest.json" if self.out.is_dir() else f"{self.out.stem}.manifest.json"
        (target / name).write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def make_fim(repo: Path, out: Path, *, family: str = "qwen", options: FimOptions = FimOptions(), near: bool = True,
             deny_licenses: tuple[str, ...] = DEFAULT_DENY_LICENSES) -> Built:
    """FIM train/eval text files, the eval side also as FIM-benchmark samples (eval_samples.jsonl)."""
    try:
        fmt = family_format(family)
    except ValueError as e:
        raise SmallcoderError(str(e)) from None
    files, removed = collect(repo, deny_licenses=deny_licenses)
    if not files:
        raise SmallcoderError(f"no usable source files in {repo} — see the removal counts with --verbose")
    dedup = Deduplicator(near=near)
    kept = [f for f in files if dedup.keep(f.text)]
    removed.merge(dedup.removals)
    train, held = build_fim(kept, fmt, options)
    built = Built(out, removed=removed.as_dict())
    built.files = write_text_dataset(out, {"train": [e.text for e in train], "eval": [e.text for e in held]})
    from smallcoder.dataset.writers import write_jsonl

    built.files["eval_samples.jsonl"] = write_jsonl(out / "eval_samples.jsonl",
                                                    (e.sample() for e in held if e.kind != "plain"))
    built.info = {"source files": len(kept), "eval files": len({e.path for e in held}),
                  "fim examples": sum(e.kind != "plain" for e in train + held),
                  "plain examples": sum(e.kind == "plain" for e in train + held), "format": fmt.family}
    built.save_manifest("fim", {"repo": str(repo), "family": family, **asdict(options)})
    return built


def make_sft(repo: Path | None, out: Path, model: ModelTemplate, *, db: Path | None, history: bool = True,
             max_commits: int = 500, near: bool = True, dialect: str = "hermes") -> Built:
    """SFT files from the store's verified runs (``db``; None = none) and ``repo``'s history."""
    removed = Removals()
    examples: list[ChatExample] = []
    runs: list[ChatExample] = []
    if db is not None:
        runs, r = from_runs(db, model.template, dialect)
        removed.merge(r)
    commits: list[ChatExample] = []
    if repo is not None and history:
        if not (repo / ".git").exists():
            raise SmallcoderError(f"{repo} is not a git repository — its history is the source of edit tasks")
        commits, r = from_history(repo, max_commits=max_commits)
        removed.merge(r)
    dedup = Deduplicator(near=near)
    examples = dedupe(runs + commits, dedup.keep)
    removed.merge(dedup.removals)
    if not examples:
        raise SmallcoderError("no examples: no verified runs in the store and no usable commits — "
                              "run `smallcoder fix` on some tasks, or pass --repo with history")
    built = Built(out, removed=removed.as_dict())
    built.files = write_sft(out, examples, model.template)
    built.info = {"from runs": sum(e.source.startswith("run:") for e in examples),
                  "from commits": sum(e.source.startswith("commit:") for e in examples), "template": model.name}
    built.save_manifest("sft", {"repo": str(repo), "db": str(db), "max_commits": max_commits})
    return built


def make_calibration(repo: Path, out: Path, model: ModelTemplate, *, db: Path | None, chars: int = 400_000,
                     tool_share: float = 0.25, seed: int = 0, dialect: str = "hermes") -> Built:
    """A plain-text calibration file for ``llama-imatrix -f``: the repository's code (and docs) plus the
    store's tool-call transcripts (every run with replies) rendered with the model's template."""
    files, removed = collect(repo, code_only=False)
    dedup = Deduplicator(near=False)
    files = [f for f in files if dedup.keep(f.text)]
    removed.merge(dedup.removals)
    transcripts: list[ChatExample] = []
    if db is not None:
        transcripts, r = from_runs(db, model.template, dialect, verified_only=False)
        removed.merge(r)
    cal = build_calibration(files, transcripts, model.template, chars=chars, tool_share=tool_share, seed=seed,
                            eos=model.eos)
    if not cal.text.strip():
        raise SmallcoderError(f"nothing to calibrate on in {repo}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(cal.text, encoding="utf-8")
    built = Built(out, files={out.name: len(cal.text)}, removed=removed.as_dict())
    built.info = {"code chars": cal.code_chars, "transcript chars": cal.transcript_chars,
                  "transcripts": len(transcripts), "chunks by language": cal.languages, "template": model.name}
    built.save_manifest("calibration", {"repo": str(repo), "chars": chars, "tool_share": tool_share, "seed": seed})
    return built
