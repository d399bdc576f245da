"""Repo-map benchmark: build time, cache effect, size and memory on large real repositories.

    .venv/bin/python benchmarks/repomap/run.py

Each corpus is copied to a temporary directory and committed to a fresh git
repository, so the map lists files the way it does for a user (git ls-files).
Each corpus runs in its own subprocess so its peak RSS is its own. Writes
benchmarks/results/repomap.json and repomap.md. Tokens are the default
len(text)//4 estimate.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from smallcoder.repomap import build_repo_map  # noqa: E402 (after the sys.path line)

COMMAND = ".venv/bin/python benchmarks/repomap/run.py"
BUDGETS = (512, 1024, 2048, 4096)
SAMPLE_LINES = 40
NOTES = """\
- Measured on a 2-CPU machine while a model benchmark kept both CPUs busy (load average 4-8), under
  `nice`: absolute times are pessimistic and noisy; the cold/warm ratio is the robust figure.
- Cold time is tree-sitter parsing plus query matching, one file after another on one thread; the warm
  build is dominated by ranking (PageRank over the file graph, then ordering every definition).
- Peak RSS is the process high-water mark (`ru_maxrss`), imports included.
- /usr/include is an extreme case: 7,500 headers (glibc, Linux uapi, LLVM 14 C++) with hundreds of
  thousands of prototypes and typedefs. npm ships its dependencies in its own tree (node_modules is
  committed there), so they are part of that corpus.
- The unmentioned maps show what the whole-repository ranking favours; in use the task's files and
  identifiers are passed in, and the second sample of each corpus shows that case."""

# name -> (source dir, dirs left out of the copy, a task-like mention: files, identifiers)
CORPORA: dict[str, tuple[str, tuple[str, ...], tuple[list[str], list[str]]]] = {
    "cpython-3.11-stdlib": (
        sysconfig.get_paths()["stdlib"],
        ("site-packages", "__pycache__"),
        (["json/decoder.py"], ["JSONDecodeError", "raw_decode"]),
    ),
    "usr-include (C/C++ headers)": (
        "/usr/include",
        (),
        (["stdio.h"], ["fopen"]),
    ),
    "npm (JavaScript)": (
        "/usr/lib/node_modules/npm",
        (),
        (["lib/npm.js"], ["exec"]),
    ),
}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _git_repo(source: Path, skip: tuple[str, ...], dest: Path) -> float:
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(*skip) if skip else None)
    start = time.perf_counter()
    env = ["-c", "user.email=bench@example.com", "-c", "user.name=bench", "-c", "core.autocrlf=false"]
    for args in (["init", "-q"], ["add", "-A", "-f"], [*env, "commit", "-q", "-m", "corpus"]):
        subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True)
    return time.perf_counter() - start


def _summary(m: Any) -> dict[str, Any]:
    return {
        "build_s": round(m.build_s, 3),
        "timings_s": {k: round(v, 3) for k, v in m.timings.items()},
        "tokens": m.tokens,
        "chars": len(m.text),
        "shown_definitions": m.shown_definitions,
        "files_shown": len(m.files_shown),
        "parsed_files": m.parsed_files,
        "cached_files": m.cached_files,
    }


def bench_one(name: str) -> dict[str, Any]:
    source, skip, (m_files, m_idents) = CORPORA[name]
    rss_start = _rss_mb()
    with tempfile.TemporaryDirectory(prefix="repomap-bench-") as tmp:
        root, cache = Path(tmp) / "repo", Path(tmp) / "cache"
        git_s = _git_repo(Path(source), skip, root)
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
        files_listed = listing.count(b"\0")

        # Summaries are taken at once and the maps dropped, so RSS reflects one build at a time.
        cold_map = build_repo_map(root, cache_dir=cache, token_budget=1024)
        rss_cold = _rss_mb()
        cold, files_considered, definitions = _summary(cold_map), cold_map.files_considered, cold_map.definitions
        languages: dict[str, int] = {}
        for r in cold_map.ranked:
            ext = r.path.rsplit(".", 1)[-1]
            languages[ext] = languages.get(ext, 0) + 1
        del cold_map
        warm = _summary(build_repo_map(root, cache_dir=cache, token_budget=1024))
        budgets: dict[str, dict[str, Any]] = {}
        samples: dict[str, str] = {}
        for b in BUDGETS:
            m = build_repo_map(root, cache_dir=cache, token_budget=b)
            budgets[str(b)] = _summary(m)
            if b == 1024:
                samples["plain"] = m.text
            del m
        focused_map = build_repo_map(root, cache_dir=cache, token_budget=1024,
                                     mentioned_files=m_files, mentioned_idents=m_idents)
        focused = {**_summary(focused_map), "first_file": focused_map.files_shown[0] if focused_map.files_shown else None}
        samples["mentioned"] = focused_map.text
        del focused_map
        cache_mb = sum(p.stat().st_size for p in cache.iterdir()) / 1e6
    return {
        "corpus": name,
        "source": source,
        "files_listed": files_listed,
        "files_considered": files_considered,
        "definitions": definitions,
        "definitions_by_extension": dict(sorted(languages.items(), key=lambda kv: -kv[1])[:8]),
        "git_setup_s": round(git_s, 2),
        "cold": cold,
        "warm": warm,
        "warm_speedup": round(cold["build_s"] / warm["build_s"], 1),
        "budgets": budgets,
        "budget_respected": all(m["tokens"] <= int(b) for b, m in budgets.items()),
        "mentioned": {"files": m_files, "idents": m_idents, **focused},
        "peak_rss_mb": {"after_imports": round(rss_start, 1), "after_cold_build": round(rss_cold, 1),
                        "end": round(_rss_mb(), 1)},
        "cache_db_mb": round(cache_mb, 2),
        "sample_map_1024": "\n".join(samples["plain"].splitlines()[:SAMPLE_LINES]),
        "sample_mentioned_1024": "\n".join(samples["mentioned"].splitlines()[:SAMPLE_LINES]),
    }


def _markdown(report: dict[str, Any]) -> str:
    out = [
        "# Repo-map benchmark", "",
        (
            f"Command: `{report['command']}` — Python {report['python']}, {report['machine']}, "
            f"tree-sitter {report['tree_sitter']}. Tokens: len(text)//4 estimate. "
            "Each corpus is copied, committed to a fresh git repo, and built in its own process; "
            "cold = empty cache, warm = same files again (tags from the SQLite cache; listing, "
            "ranking and rendering redone)."
        ),
        "",
        "| corpus | files listed | source files | definitions | cold build s | warm build s | speed-up | peak RSS MB (cold build / whole run) | cache MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in report["corpora"]:
        out.append(
            f"| {c['corpus']} | {c['files_listed']} | {c['files_considered']} | {c['definitions']} | "
            f"{c['cold']['build_s']} | {c['warm']['build_s']} | {c['warm_speedup']}× | "
            f"{c['peak_rss_mb']['after_cold_build']} / {c['peak_rss_mb']['end']} | {c['cache_db_mb']} |"
        )
    out += ["", "Warm build time split (s) and map size per budget:", ""]
    out += ["| corpus | list | tags (cache) | rank | render | budget → tokens / definitions / files |", "|---|---|---|---|---|---|"]
    for c in report["corpora"]:
        t = c["warm"]["timings_s"]
        sizes = "; ".join(f"{b} → {m['tokens']} / {m['shown_definitions']} / {m['files_shown']}" for b, m in c["budgets"].items())
        out.append(f"| {c['corpus']} | {t['list']} | {t['tags']} | {t['rank']} | {t['render']} | {sizes} |")
    out += ["", "Cold build time split (s): " + "; ".join(
        f"{c['corpus']}: " + ", ".join(f"{k} {v}" for k, v in c["cold"]["timings_s"].items()) for c in report["corpora"]), ""]
    out += ["How to read this:", "", NOTES, ""]
    for c in report["corpora"]:
        m = c["mentioned"]
        out += [f"## {c['corpus']}", "",
                (f"Mentioned files {m['files']} and identifiers {m['idents']}: first file in the map is "
                 f"`{m['first_file']}` ({m['tokens']} tokens, {m['shown_definitions']} definitions)."), "",
                f"First {SAMPLE_LINES} lines of the 1024-token map, no mentions:", "", "```",
                c["sample_map_1024"], "```", "", "With the mentions:", "", "```", c["sample_mentioned_1024"], "```", ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--one", help="benchmark one corpus and print its JSON (used internally)")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(bench_one(args.one)))
        return
    corpora = []
    for name, (source, _, _) in CORPORA.items():
        if not Path(source).is_dir():
            print(f"skip {name}: {source} not found", file=sys.stderr)
            continue
        print(f"benchmarking {name} ...", file=sys.stderr)
        proc = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True, check=True)
        corpora.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    report = {
        "command": COMMAND,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs (shared with other work while measured)",
        "tree_sitter": version("tree-sitter"),
        "token_estimate": "len(text)//4",
        "corpora": corpora,
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "repomap.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "repomap.md").write_text(_markdown(report) + "\n")
    print(_markdown(report))


if __name__ == "__main__":
    main()
