"""FIM quality on held-out middles of a real repository's recent code, three context strategies side
by side with the same model, the same prefix/suffix window and the same token budget:

- none:        prefix + suffix only (what most editor plugins send);
- ring:        llama.vim-style ring buffer: 64-line chunks taken from the files open in the editor
               (here: the package's most recently committed other files), in the order they were
               collected, near-identical chunks dropped (similarity > 0.9), no relevance ranking;
- smallcoder:  smallcoder's context (fim/context.py): definitions of imported and nearby names, the open
               files' chunks most like the cursor's surroundings, near-duplicates of the window dropped.

Scores (HumanEval-infilling / SAFIM conventions): exact match of the whole middle (trailing spaces and
blank lines ignored; for line samples the first generated line), edit similarity (difflib ratio, %),
next-line accuracy (first generated line == first true line, stripped); and with ``--tests``, the
share of block samples whose file, with the generated middle in place, still passes the tests that
name the enclosing function.

    python benchmarks/fim/quality.py --repo /tmp/click --since 2025-01-01 --under src \\
        --model ~/.cache/smallcoder-test-models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf

Each sample's result is appended to benchmarks/results/fim-quality-<name>/<strategy>.jsonl as it is
made, so the same command resumes an interrupted run; the summary goes to fim-quality-<name>.json/.md.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from samples import Sample, make_samples  # noqa: E402

from smallcoder.backends.embedded import EmbeddedBackend  # noqa: E402
from smallcoder.fim.context import ContextGatherer, EditorState, Snippet, jaccard, line_set  # noqa: E402
from smallcoder.fim.engine import FimEngine, FimOptions  # noqa: E402
from smallcoder.fim.formats import RepoFile  # noqa: E402

RESULTS = Path(__file__).resolve().parents[1] / "results"
STRATEGIES = ("none", "ring", "smallcoder")
RING_CHUNK = 64  # llama.vim's ring_chunk_size
RING_SIMILAR = 0.9  # llama.vim evicts a chunk this similar to a new one


def open_files(repo: Path, sample: Sample, under: str, n: int = 4) -> dict[str, str]:
    """The editor's other open files: the ``n`` files under ``under`` most recently committed."""
    out = subprocess.run(["git", "-C", str(repo), "log", "--format=", "--name-only", "-n", "200", "--", under],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    chosen: list[str] = []
    for rel in out:
        if rel.endswith(".py") and rel != sample.path and rel not in chosen and (repo / rel).is_file():
            chosen.append(rel)
        if len(chosen) == n:
            break
    return {rel: (repo / rel).read_text(encoding="utf-8") for rel in chosen}


def ring_context(files: dict[str, str], sample: Sample, budget: int, count: Any) -> list[RepoFile]:
    """llama.vim's ring: two chunks per open file at positions the user visited (seeded per sample)."""
    rng = random.Random(sample.id)
    ring: list[Snippet] = []
    for rel, text in files.items():
        lines = text.split("\n")
        for _ in range(2):
            start = rng.randrange(max(1, len(lines) - RING_CHUNK))
            chunk = Snippet(rel, "\n".join(lines[start:start + RING_CHUNK]), start + 1, "open")
            ring = [c for c in ring if jaccard(line_set(c.text), line_set(chunk.text)) <= RING_SIMILAR]
            ring.append(chunk)
    taken, used = [], 0
    for c in ring:  # oldest first, as llama.vim sends input_extra
        cost = count(f"{c.path}\n{c.text}\n") + 2
        if used + cost <= budget:
            taken.append(RepoFile(c.path, c.text))
            used += cost
    return taken


def recorded(out_dir: Path, strategy: str) -> set[str]:
    """Ids of the samples ``strategy`` has a row for (read each time: another process may add rows)."""
    path = out_dir / f"{strategy}.jsonl"
    return {json.loads(ln)["id"] for ln in path.read_text().splitlines()} if path.exists() else set()


def normalize(text: str) -> str:
    return "\n".join(ln.rstrip() for ln in text.strip("\n").split("\n")).rstrip()


def score(sample: Sample, got: str) -> dict[str, Any]:
    pred = got.split("\n", 1)[0] if sample.kind == "line" else got
    truth_first = sample.middle.split("\n", 1)[0].strip()
    return {
        "exact": normalize(pred) == normalize(sample.middle),
        "edit_similarity": round(100 * difflib.SequenceMatcher(None, normalize(pred), normalize(sample.middle)).ratio(), 1),
        "next_line": pred.split("\n", 1)[0].strip() == truth_first,
    }


def tests_pass(repo: Path, sample: Sample, got: str, timeout_s: int) -> bool | None:
    """Put the middle in a copy of the repository and run the test files naming the function."""
    tests = sorted(p for p in (repo / "tests").glob("test_*.py") if sample.function in p.read_text(errors="replace"))
    if not tests:
        return None
    with tempfile.TemporaryDirectory(prefix="fim-tests-") as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".git", "docs", "*.pyc"))
        (copy / sample.path).write_text(sample.prefix + got + sample.suffix, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(copy / "src")}
        try:
            r = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:asyncio",
                                "-p", "no:pytest_lsp", *[str(t.relative_to(repo)) for t in tests]],
                               cwd=copy, env=env, capture_output=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return r.returncode == 0


def run(args: argparse.Namespace) -> None:
    repo = Path(args.repo).resolve()
    samples = make_samples(repo, since=args.since, under=args.under, n_lines=args.lines, n_blocks=args.blocks)
    out_dir = RESULTS / f"fim-quality-{args.name}"
    out_dir.mkdir(parents=True, exist_ok=True)
    backend = EmbeddedBackend(Path(args.model).expanduser(), n_ctx=4096, n_threads=args.threads, temperature=0.0)
    opts = FimOptions(context_tokens=args.budget, max_tokens=64, prefix_lines=args.prefix_lines,
                      suffix_lines=args.suffix_lines)
    engine = FimEngine(backend, options=opts, repo_name=repo.name, gatherer=ContextGatherer())
    started = time.time()
    lines_first = [s for s in samples if s.kind == "line"]
    blocks = [s for s in samples if s.kind == "block"]
    order: list[Sample] = []
    for i, s in enumerate(lines_first):  # two lines to a block, so an interrupted run has both kinds
        order += [s] + (blocks[i // 2:i // 2 + 1] if i % 2 else [])
    order += [s for s in blocks if s not in order]
    order = order[args.start_at:] + order[:args.start_at]
    if args.reverse:  # a second process can work from the other end; each skips what the other recorded
        order.reverse()
    for s in order:  # samples outer, strategies inner: an interrupted run stays balanced
        # a line sample is scored on its first line only, so generation stops at the first newline
        engine.options = replace(opts, max_lines=1) if s.kind == "line" else opts
        for strategy in STRATEGIES:
            if s.id in recorded(out_dir, strategy):
                continue
            state = EditorState(s.path, s.prefix + s.suffix, s.line, s.col, root=repo,
                                open_files=open_files(repo, s, args.under))
            if strategy == "none":
                files: list[RepoFile] | None = []
            elif strategy == "ring":
                files = ring_context(state.open_files, s, args.budget, engine.count)
            else:
                files = None  # the engine gathers smallcoder's context
            result = engine.complete(state, files=files, use_cache=False)
            row = {"id": s.id, "kind": s.kind, **score(s, result.text), "prediction": result.text,
                   "truth": s.middle, "prompt_tokens": result.prompt_tokens, "latency_ms": result.latency_ms,
                   "context_files": result.context_files}
            if args.tests and s.kind == "block":
                row["tests_pass"] = True if row["exact"] else tests_pass(repo, s, result.text, args.test_timeout)
            with (out_dir / f"{strategy}.jsonl").open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"{strategy:10s} {s.id:40s} next={row['next_line']!s:5s} es={row['edit_similarity']:5.1f} "
                  f"{result.latency_ms:7.0f} ms", flush=True)
    backend.close()
    summarize(args, samples, out_dir, time.time() - started)


def summarize(args: argparse.Namespace, samples: list[Sample], out_dir: Path, wall_s: float) -> None:
    per = {st: {json.loads(ln)["id"] for ln in (out_dir / f"{st}.jsonl").read_text().splitlines()}
           for st in STRATEGIES if (out_dir / f"{st}.jsonl").exists()}
    ids = {s.id for s in samples}
    for st in STRATEGIES:
        ids &= per.get(st, set())  # compare on the samples every strategy has done
    table: dict[str, Any] = {}
    for strategy in STRATEGIES:
        rows = [json.loads(ln) for ln in (out_dir / f"{strategy}.jsonl").read_text().splitlines()]
        rows = list({r["id"]: r for r in reversed(rows) if r["id"] in ids}.values())  # the first row per sample
        fig: dict[str, Any] = {"samples": len(rows)}
        for kind in ("all", "line", "block"):
            sel = [r for r in rows if kind == "all" or r["kind"] == kind]
            if not sel:
                continue
            fig[kind] = {
                "exact_match_pct": round(100 * sum(r["exact"] for r in sel) / len(sel), 1),
                "edit_similarity": round(sum(r["edit_similarity"] for r in sel) / len(sel), 1),
                "next_line_pct": round(100 * sum(r["next_line"] for r in sel) / len(sel), 1),
                "mean_prompt_tokens": round(sum(r["prompt_tokens"] for r in sel) / len(sel)),
            }
            tested = [r["tests_pass"] for r in sel if r.get("tests_pass") is not None]
            if tested:
                fig[kind]["tests_pass_pct"] = round(100 * sum(tested) / len(tested), 1)
                fig[kind]["tested"] = len(tested)
        table[strategy] = fig
    best_other = max(table[s]["all"]["next_line_pct"] for s in ("none", "ring"))
    summary = {
        "command": " ".join(sys.argv), "model": Path(args.model).name, "repo": str(args.repo),
        "repo_commit": subprocess.run(["git", "-C", args.repo, "rev-parse", "HEAD"], capture_output=True,
                                      text=True).stdout.strip(),
        "since": args.since, "context_budget_tokens": args.budget, "prefix_lines": args.prefix_lines,
        "suffix_lines": args.suffix_lines, "wall_s_this_run": round(wall_s),
        "machine": f"{os.cpu_count()} CPUs, shared with other jobs (load average {os.getloadavg()[0]:.1f} at the end)",
        "strategies": table,
        "next_line_gain_over_best_other_points": round(table["smallcoder"]["all"]["next_line_pct"] - best_other, 1),
    }
    (RESULTS / f"fim-quality-{args.name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [f"# FIM quality: {summary['model']} on {Path(args.repo).name} ({summary['repo_commit'][:8]}), "
             f"middles added since {args.since}", "", f"`{summary['command']}`", "",
             f"Context budget {args.budget} tokens; {summary['machine']}.", "",
             "| strategy | samples | next-line % | exact % | edit sim. | tests pass % | prompt tokens |",
             "|---|---|---|---|---|---|---|"]
    for strategy, fig in table.items():
        a = fig["all"]
        tp = fig.get("block", {}).get("tests_pass_pct")
        lines.append(f"| {strategy} | {fig['samples']} | {a['next_line_pct']} | {a['exact_match_pct']} | "
                     f"{a['edit_similarity']} | {'' if tp is None else tp} | {a['mean_prompt_tokens']} |")
    lines += ["", f"smallcoder's context vs the best other: {summary['next_line_gain_over_best_other_points']:+} "
              "points of next-line accuracy.", ""]
    (RESULTS / f"fim-quality-{args.name}.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", required=True, help="a git clone of the repository to draw middles from")
    p.add_argument("--since", default="2025-01-01", help="only code added after this date (after the model's data)")
    p.add_argument("--under", default="src", help="the source folder inside the repository")
    p.add_argument("--model", required=True, help="a GGUF file")
    p.add_argument("--name", default="qwen2.5-coder-0.5b-click")
    p.add_argument("--lines", type=int, default=30)
    p.add_argument("--blocks", type=int, default=15)
    p.add_argument("--budget", type=int, default=1024, help="tokens of context from other files")
    p.add_argument("--prefix-lines", type=int, default=96)
    p.add_argument("--suffix-lines", type=int, default=16)
    p.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: all CPUs)")
    p.add_argument("--tests", action="store_true", help="also run the tests naming each block's function")
    p.add_argument("--test-timeout", type=int, default=120)
    p.add_argument("--summary-only", action="store_true")
    p.add_argument("--reverse", action="store_true", help="take the samples last first (a second process)")
    p.add_argument("--start-at", type=int, default=0, help="begin at this sample of the list (a third process)")
    args = p.parse_args()
    if args.summary_only:
        repo = Path(args.repo).resolve()
        samples = make_samples(repo, since=args.since, under=args.under, n_lines=args.lines, n_blocks=args.blocks)
        summarize(args, samples, RESULTS / f"fim-quality-{args.name}", 0.0)
    else:
        run(args)


if __name__ == "__main__":
    main()
