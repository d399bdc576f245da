"""Localization benchmark: does ranking files without a model find the gold patch's files?

    .venv/bin/python benchmarks/localize/run.py [--tasks benchmarks/repobugs/tasks.jsonl] [--top 5]

For each repobugs task, the base (branch `task/<instance_id>` of the task's bundle, opened read-only)
is cloned into a temporary directory; the problem statement alone is the query (no test output, no
model). A task counts as a top-k hit for a method when one of the task's `source_files` is among the
method's first k files. Methods: BM25 alone, the repo map alone, and their fusion with direct evidence
(smallcoder.localize). Writes benchmarks/results/localize.json and localize.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from smallcoder.agent.first_prompt import build_first_prompt  # noqa: E402 (after the sys.path line)
from smallcoder.localize import METHODS, Localization, localize  # noqa: E402
from smallcoder.repomap import extract_tags  # noqa: E402
from smallcoder.types import estimate_tokens  # noqa: E402

COMMAND = ".venv/bin/python benchmarks/localize/run.py"
KS = (1, 3, 5)
WINDOW = 8_192  # the context benchmarks/repobugs/run.sh gives the model
LABELS = {"lexical": "BM25 alone", "map": "repo map alone", "combined": "combined (smallcoder.localize)"}


def checkout(bundle: Path, branch: str, dest: Path) -> None:
    """Clone one branch of a bundle into `dest` (the bundle is only read)."""
    subprocess.run(["git", "clone", "-q", "--branch", branch, str(bundle), str(dest)],
                   check=True, capture_output=True, timeout=120)


def first_hit(ranking: list[str], gold: list[str]) -> int | None:
    """1-based rank of the first gold file in `ranking`, None when absent."""
    for i, path in enumerate(ranking, 1):
        if path in gold:
            return i
    return None


def changed_lines(patch: str) -> dict[str, set[int]]:
    """Lines of the base each file's hunks change (1-based): removed lines, and for a pure insertion
    the base line it follows."""
    out: dict[str, set[int]] = {}
    path, old = "", 0
    for line in patch.splitlines():
        if line.startswith("--- "):
            path = line[6:] if line.startswith("--- a/") else ""
        elif line.startswith("@@") and path:
            old = int(line.split()[1].lstrip("-").split(",")[0])
        elif path and old and line.startswith("-") and not line.startswith("---"):
            out.setdefault(path, set()).add(old)
            old += 1
        elif path and old and line.startswith("+") and not line.startswith("+++"):
            out.setdefault(path, set()).add(max(1, old - 1))
        elif path and old and line.startswith(" "):
            old += 1
    return out


def enclosing(repo: Path, path: str, lines: set[int], *, outer: bool = True) -> set[tuple[str, int]]:
    """(name, line) of the nearest definition above each changed line (an approximation: module-level code
    after a function counts as that function), and with `outer` of the definitions enclosing it."""
    tags = extract_tags(path, (repo / path).read_text(encoding="utf-8", errors="replace"))
    if tags is None:
        return set()
    by_line = {d.line: d for d in tags.definitions}
    out: set[tuple[str, int]] = set()
    for n in lines:
        above = [d for d in tags.definitions if d.line <= n]
        d = above[-1] if above else None
        while d is not None:
            out.add((d.name, d.line))
            d = by_line.get(d.parent) if outer else None
    return out


def definition_hit(repo: Path, found: Localization, patch: str, *, outer: bool = True) -> bool | None:
    """Does a shown definition of a shown gold file enclose a line the gold patch changes (with `outer`,
    a class around it counts too)? None when the patch changes no line inside any definition."""
    targets = {path: enclosing(repo, path, lines, outer=outer) for path, lines in changed_lines(patch).items()}
    if not any(targets.values()):
        return None
    return any((d.name, d.line) in targets.get(c.path, set()) for c in found.candidates for d in c.definitions)


def run_task(task: dict[str, Any], tasks_dir: Path, top: int) -> dict[str, Any]:
    bundle = (tasks_dir / task["repo"]).resolve()
    with tempfile.TemporaryDirectory(prefix="localize-") as tmp:
        repo = Path(tmp) / "repo"
        checkout(bundle, f"task/{task['instance_id']}", repo)
        started = time.perf_counter()
        found = localize(repo, task["problem_statement"], top=top, use_cache=False)
        seconds = time.perf_counter() - started
        shown_definition = definition_hit(repo, found, task["patch"])
        shown_innermost = definition_hit(repo, found, task["patch"], outer=False)
        # the first prompt `fix` sends (no test run here), with the candidate list and without it
        first = build_first_prompt(repo, task["problem_statement"], task.get("test_cmd"), None, WINDOW)
        plain = build_first_prompt(repo, task["problem_statement"], task.get("test_cmd"), None, WINDOW,
                                   show_candidates=False)
    gold = list(task["source_files"])
    return {
        "instance_id": task["instance_id"],
        "gold": gold,
        "seconds": round(seconds, 3),
        "rank": {m: first_hit(found.rankings[m], gold) for m in METHODS},
        "definition_hit": shown_definition,
        "innermost_definition_hit": shown_innermost,
        "first_prompt": {"tokens": estimate_tokens(first.text), "tokens_without_candidates": estimate_tokens(plain.text),
                         "candidates": first.candidates, "gold_listed": any(p in gold for p in first.candidates)},
        "top": {m: found.rankings[m][:top] for m in METHODS},
        "candidates": [{"path": c.path, "definitions": [d.name for d in c.definitions], "reasons": c.reasons}
                       for c in found.candidates],
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    n = len(rows)
    out: dict[str, dict[str, float]] = {}
    for m in METHODS:
        ranks = [r["rank"][m] for r in rows]
        out[m] = {f"top{k}": sum(1 for x in ranks if x is not None and x <= k) for k in KS}
        out[m].update({f"top{k}_rate": round(out[m][f"top{k}"] / n, 3) for k in KS})
        out[m]["mrr"] = round(sum(1 / x for x in ranks if x) / n, 3)
    judged = [r["definition_hit"] for r in rows if r["definition_hit"] is not None]
    innermost = [r["innermost_definition_hit"] for r in rows if r["innermost_definition_hit"] is not None]
    out["definitions"] = {"hits": sum(judged), "judged": len(judged), "innermost_hits": sum(innermost)}
    firsts = [r["first_prompt"] for r in rows]
    listed = [f for f in firsts if f["candidates"]]
    growth = [f["tokens"] - f["tokens_without_candidates"] for f in firsts]
    out["first_prompt"] = {
        "with_candidates": len(listed), "gold_listed": sum(f["gold_listed"] for f in listed),
        "median_tokens": sorted(f["tokens"] for f in firsts)[n // 2],
        "median_tokens_without": sorted(f["tokens_without_candidates"] for f in firsts)[n // 2],
        "max_growth": max(growth), "min_growth": min(growth),
    }
    return out


def markdown(result: dict[str, Any]) -> str:
    n = result["tasks"]
    lines = [
        "# Localization benchmark (no model)",
        "",
        f"Command: `{result['command']}` — {n} repobugs tasks, the problem statement alone as the query, "
        f"the gold patch's source files as the answer; Python {result['python']}, bm25s {result['bm25s']}. "
        f"Median {result['median_seconds']} s a task (repo map cold, no cache; 2 CPUs shared with a model run).",
        "",
        "| method | top-1 | top-3 | top-5 | MRR |",
        "|---|---|---|---|---|",
    ]
    for m in METHODS:
        s = result["summary"][m]
        cells = [f"{s[f'top{k}']}/{n} ({100 * s[f'top{k}_rate']:.0f}%)" for k in KS]
        lines.append(f"| {LABELS[m]} | {' | '.join(cells)} | {s['mrr']} |")
    d = result["summary"]["definitions"]
    lines += ["", f"Definitions: in {d['hits']} of {d['judged']} tasks whose gold patch changes code inside a "
              f"definition, one of the definitions shown with the top {result['top']} files (3 a file, as `fix` "
              f"shows them) is one the patch changes or the class around it; the changed function or method "
              f"itself in {d['innermost_hits']}.",
              "", f"First prompt of `fix` ({WINDOW}-token window, before any test run): "
              f"{result['summary']['first_prompt']['with_candidates']} of {n} tasks name no source file and get "
              f"the candidate list; a gold file is on it in {result['summary']['first_prompt']['gold_listed']}. "
              f"Median {result['summary']['first_prompt']['median_tokens']} estimated tokens with the list, "
              f"{result['summary']['first_prompt']['median_tokens_without']} without it (per task "
              f"{result['summary']['first_prompt']['min_growth']:+d} to {result['summary']['first_prompt']['max_growth']:+d}"
              "): the list takes part of the map's budget.",
              "", "Per task (rank of the first gold file; — = not ranked; definition: a changed one is shown):", "",
              "| task | gold | BM25 | map | combined | definition | combined top 3 |", "|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        ranks = [str(r["rank"][m] or "—") for m in METHODS]
        shown = {True: "yes", False: "no", None: "—"}[r["definition_hit"]]
        lines.append(f"| {r['instance_id']} | {', '.join(r['gold'])} | {' | '.join(ranks)} | {shown} | "
                     f"{', '.join(r['top']['combined'][:3])} |")
    lines += ["", result["notes"]]
    return "\n".join(lines) + "\n"


NOTES = """How to read this:

- Test files are never candidates (a fix goes into the code under test), so a task's test files do
  not count as hits, and every ranking holds only the repository's non-test source files.
- The repo map alone ranks files by their best definition: PageRank over references, personalized
  toward the names the report mentions. Reports that name no code (\"Fix double-bracketing of choices
  in synopsis\") leave it with the repository-wide ranking, which favours the most-used modules.
- BM25 sees every word of the report; the combination fuses both rankings by reciprocal rank and
  adds direct evidence: a named file, a traceback frame, an error message or quoted output found
  verbatim in a file.
- 36 tasks from 5 projects: a difference of one or two tasks between methods is within noise."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=Path, default=ROOT / "benchmarks/repobugs/tasks.jsonl")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results")
    args = parser.parse_args()
    # the repo-map cache of the temporary checkouts stays out of the user's home
    os.environ.setdefault("SMALLCODER_HOME", tempfile.mkdtemp(prefix="localize-home-"))
    tasks = [json.loads(line) for line in args.tasks.read_text().splitlines() if line.strip()]
    rows = []
    for task in tasks:
        row = run_task(task, args.tasks.parent, args.top)
        print(row["instance_id"], row["rank"], flush=True)
        rows.append(row)
    seconds = sorted(r["seconds"] for r in rows)
    result = {
        "command": COMMAND, "tasks": len(rows), "python": platform.python_version(), "bm25s": version("bm25s"),
        "median_seconds": seconds[len(seconds) // 2] if seconds else 0.0, "top": args.top,
        "summary": summarize(rows), "notes": NOTES, "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "localize.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / "localize.md").write_text(markdown(result))
    print(markdown(result).split("\n\nPer task")[0])


if __name__ == "__main__":
    main()
