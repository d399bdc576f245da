"""Review benchmark: precision, recall and comments per clean change on labelled real changes.

    .venv/bin/python benchmarks/review/run.py --model ~/.cache/smallcoder-test-models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

Each case of cases.toml becomes a real git change in a scratch clone of the mirror: a bug case is
the fix commit reversed (the working tree re-introduces the bug) on top of the fix without its other
changes (its new tests: a reviewer has only the tests from before the fix), a clean case is a
refactoring commit applied on its parent. `review_change` runs on `git diff HEAD`, exactly as `smallcoder
review --diff HEAD` would. A finding is a true positive when it is on a bug case's file within
TOLERANCE lines of the lines the reversal touches; every finding on a clean case is a false one.

Per-case results go to benchmarks/results/review/<id>.json (a rerun skips finished cases; --fresh
redoes them); the summary to benchmarks/results/review.json and review.md. `--tests-only` runs no
model (every list reply is `[]`): what the project's own tests, run on both versions, find alone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

from smallcoder.agent.events import ModelCalled
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.config import load_config
from smallcoder.paths import Home
from smallcoder.review import parse_diff
from smallcoder.review.testrun import EVIDENCE
from smallcoder.sandbox import choose_isolation
from smallcoder.session.review import ReviewOptions, git_diff, git_patch, new_side_reader, review_change
from smallcoder.session.setup import open_session

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"
TOLERANCE = 2  # lines either side of a labelled line that still count as "on the bug"
# What each project's tests import besides the project (pytest runs unittest suites too).
TEST_DEPS = {"jazzband/prettytable": ["pytest", "pytest-lazy-fixtures"]}


def sh(cwd: Path, *args: str) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


def prepare(case: dict, mirrors: Path, scratch: Path) -> tuple[Path, dict[str, set[int]]]:
    """A clone with the case's change in its working tree; for a bug case, the labelled lines per file."""
    mirror = mirrors / case["repo"].replace("/", "+") / "repo"
    work = scratch / case["id"]
    sh(scratch, "git", "clone", "-q", "--no-checkout", str(mirror), str(work))
    paths = case["paths"]
    if case["kind"] == "bug" and not case.get("introduces"):
        sh(work, "git", "checkout", "-q", case["commit"])
        # The fix's other changes (its new tests above all) undone in a commit of their own: the reviewed
        # code's tests are those from before the fix, which did not catch the bug it fixed.
        others = [p for p in sh(work, "git", "diff", "--name-only", case["commit"] + "^", case["commit"]).split()
                  if p not in paths]
        if others:
            undo = sh(work, "git", "diff", case["commit"], case["commit"] + "^", "--", *others)
            subprocess.run(["git", "apply"], cwd=work, input=undo, text=True, check=True)
            sh(work, "git", "add", "-A")
            sh(work, "git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q",
               "-m", "the fix without its tests")
        change = sh(work, "git", "diff", *_sides(case), "--", *paths)
    else:
        sh(work, "git", "checkout", "-q", case["commit"] + "^")
        change = sh(work, "git", "diff", *_sides(case), "--", *paths)
    subprocess.run(["git", "apply"], cwd=work, input=change, text=True, check=True)
    install(work, case["repo"])
    return work, labels_of(case, change)


def install(work: Path, repo: str) -> None:
    """The project installed in its own .venv, as a developer's checkout has it: findings' calls import
    the package, and some packages read their own installed metadata on import (pkg_resources,
    importlib.metadata). uv, from the dev extra, with its cache; a failure only costs those calls.
    setuptools before 70 still has pkg_resources, which the older commits import (prettytable 1.x).
    pytest and what the project's tests import: the review runs the project's tests."""
    uv = Path(sys.executable).with_name("uv")
    try:
        sh(work, str(uv), "venv", "-q", ".venv")
        sh(work, str(uv), "pip", "install", "-q", "--python", str(work / ".venv" / "bin" / "python"), "-e", ".", "setuptools<70", *TEST_DEPS.get(repo, ["pytest"]))
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"{work.name}: could not install the project ({e}); its findings' calls may not run", flush=True)


def labels_of(case: dict, change: str) -> dict[str, set[int]]:
    """A bug case's labelled new-side lines per file: what its change adds (or, for a deletion, the spot
    where the lines went). A clean case has none."""
    labels: dict[str, set[int]] = {}
    if case["kind"] == "bug":
        for f in parse_diff(change).files:
            lines = set(f.added_lines)
            for h in f.hunks:
                if not h.added:
                    lines |= {n for n in range(h.new_start, h.new_end + 1)}
            labels[f.path] = lines
    return labels


def mirror_labels(case: dict, mirrors: Path) -> dict[str, set[int]]:
    """labels_of from the mirror alone (no clone), for summaries of finished cases."""
    if case["kind"] != "bug":
        return {}
    mirror = mirrors / case["repo"].replace("/", "+") / "repo"
    return labels_of(case, sh(mirror, "git", "diff", *_sides(case), "--", *case["paths"]))


def _sides(case: dict) -> tuple[str, str]:
    """(old, new) commits of the case's change: a fix reversed, or a commit as it was made (a refactoring,
    or one that introduced a bug: `introduces = true`)."""
    if case["kind"] == "bug" and not case.get("introduces"):
        return case["commit"], case["commit"] + "^"
    return case["commit"] + "^", case["commit"]


def score(case: dict, findings: list[dict], labels: dict[str, set[int]]) -> list[bool]:
    hits = []
    for f in findings:
        near = {n + d for n in labels.get(f["path"], set()) for d in range(-TOLERANCE, TOLERANCE + 1)}
        hits.append(case["kind"] == "bug" and any(n in near for n in range(f["start_line"], f["end_line"] + 1)))
    return hits


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="", help="the model (not needed with --tests-only)")
    ap.add_argument("--ctx", type=int, default=4096)
    ap.add_argument("--mirrors", default=os.environ.get("REVIEW_MIRRORS", "/work/.mirror"))
    ap.add_argument("--name", default="review")
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (the recorded runs used 1)")
    ap.add_argument("--mode", default="list", choices=("list", "agent"))
    ap.add_argument("--note", default="", help="a word on the machine, for the summary")
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--no-run-checks", action="store_true", help="do not run the findings' calls on both versions")
    ap.add_argument("--no-run-tests", action="store_true", help="do not run the project's tests on both versions")
    ap.add_argument("--tests-only", action="store_true",
                    help="no model (every list reply is []): what running the project's tests finds alone")
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--summary-only", action="store_true", help="rewrite the summary from the finished cases")
    args = ap.parse_args()
    if not args.model and not args.tests_only:
        ap.error("--model is required (or --tests-only)")
    cases = tomllib.loads((HERE / "cases.toml").read_text())["case"]
    out_dir = RESULTS / args.name
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.summary_only:
        summarize(cases, out_dir, args)
        return 0
    options = ReviewOptions(mode=args.mode, verify=not args.no_verify, run_checks=not args.no_run_checks,
                            run_tests=not args.no_run_tests)
    config = load_config().with_flags(model=None if args.tests_only else args.model, ctx=args.ctx,
                                      threads=args.threads)
    with tempfile.TemporaryDirectory(prefix="review-bench-") as tmp, \
            (_no_model() if args.tests_only else open_session(config, Home.from_env())) as session:
        for case in cases:
            done = out_dir / f"{case['id']}.json"
            if (args.only and case["id"] not in args.only) or (done.exists() and not args.fresh):
                continue
            work, labels = prepare(case, Path(args.mirrors), Path(tmp))
            started = time.perf_counter()
            replies: list[dict] = []  # the model's raw outputs, kept with the case's record

            def keep(event: object) -> None:
                if isinstance(event, ModelCalled):
                    c = event.completion
                    replies.append({"text": c.text, "prompt_tokens": c.usage.prompt_tokens,
                                    "completion_tokens": c.usage.completion_tokens, "latency_s": round(c.latency_s, 1)})

            change = git_diff(work, ref="HEAD", untracked=True)  # `smallcoder review` on the working tree
            result = review_change(session.backend, work, change, new_side_reader(work), options,
                                   observers=[*session.observers, keep], task=f"review benchmark: {case['id']}",
                                   base="HEAD", isolation=session.isolation, untracked=True,
                                   patch=git_patch(work, ref="HEAD", untracked=True))  # exact, as the CLI sends it
            findings = [f.to_json() for f in result.findings]
            record = {"id": case["id"], "kind": case["kind"], "findings": findings,
                      "true_positive": score(case, findings, labels),
                      "dropped": [{"reason": d.reason, **d.finding.to_json()} for d in result.dropped],
                      "model_calls": result.model_calls, "unparsable": result.unparsable, "run_id": result.run_id,
                      "checks_run": result.checks_run, "checks_problem": result.checks_problem,
                      "tests": result.tests,
                      "seconds": round(time.perf_counter() - started, 1), "replies": replies}
            done.write_text(json.dumps(record, indent=2) + "\n")
            print(f"{case['id']}: {len(findings)} findings, tp={record['true_positive']}, "
                  f"{record['seconds']} s", flush=True)
    summarize(cases, out_dir, args)
    return 0


@contextlib.contextmanager
def _no_model() -> Iterator[SimpleNamespace]:
    """A stand-in for a session whose model finds nothing: every list reply is `[]`."""
    backend = ScriptedBackend(outputs=["```json\n[]\n```"] * 1000, context_window=8192)
    yield SimpleNamespace(backend=backend, observers=[], isolation=choose_isolation())


def summarize(cases: list[dict], out_dir: Path, args: argparse.Namespace) -> None:
    records = [json.loads((out_dir / f"{c['id']}.json").read_text()) for c in cases
               if (out_dir / f"{c['id']}.json").exists()]
    bugs = [r for r in records if r["kind"] == "bug"]
    clean = [r for r in records if r["kind"] == "clean"]
    shown = sum(len(r["findings"]) for r in records)
    tp = sum(sum(r["true_positive"]) for r in records)
    summary = {
        "command": "benchmarks/review/run.py " + ("--tests-only" if args.tests_only else "--model "
                                                  + Path(args.model).name) + f" --ctx {args.ctx}"
                   + (f" --threads {args.threads}" if args.threads else "") + f" --mode {args.mode}"
                   + (" --no-verify" if args.no_verify else "")
                   + (" --no-run-checks" if getattr(args, "no_run_checks", False) else "")
                   + (" --no-run-tests" if getattr(args, "no_run_tests", False) else ""),
        "python": platform.python_version(), "machine_note": args.note or "not given",
        "cases": len(records), "cases_planned": len(cases), "bug_cases": len(bugs), "clean_cases": len(clean),
        "findings": shown, "true_positives": tp,
        # shown because a project test passed before the change and fails after it (review/testrun.py)
        "from_tests": sum(f["scenario"].endswith(EVIDENCE) for r in records for f in r["findings"]),
        "from_tests_true": sum(t for r in records for f, t in zip(r["findings"], r["true_positive"])
                               if f["scenario"].endswith(EVIDENCE)),
        "precision": round(tp / shown, 3) if shown else None,
        "recall": round(sum(any(r["true_positive"]) for r in bugs) / len(bugs), 3) if bugs else None,
        "comments_per_clean_change": round(sum(len(r["findings"]) for r in clean) / len(clean), 3) if clean else None,
        "unparsable": sum(r["unparsable"] for r in records),
        "dropped_by_checks": sum(len(r["dropped"]) for r in records),
        "model_calls": sum(r["model_calls"] for r in records),
        "seconds": round(sum(r["seconds"] for r in records), 1),
    }
    # After the static checks: shown, or dropped by running the call or by the model's "no".
    by_id = {c["id"]: c for c in cases}
    before = {r["id"]: r["findings"] + [d for d in r["dropped"] if d["reason"].startswith("not confirmed")]
              for r in records}
    hits = {i: score(by_id[i], fs, mirror_labels(by_id[i], Path(args.mirrors))) for i, fs in before.items()}
    n_before = sum(len(fs) for fs in before.values())
    summary["before_verification"] = {
        "findings": n_before, "true_positives": sum(sum(h) for h in hits.values()),
        "precision": round(sum(sum(h) for h in hits.values()) / n_before, 3) if n_before else None,
        "recall": round(sum(any(hits[r["id"]]) for r in bugs) / len(bugs), 3) if bugs else None,
        "comments_per_clean_change": round(sum(len(before[r["id"]]) for r in clean) / len(clean), 3) if clean else None,
    }
    # Where the checked findings went: refuted by running their call, or by the model's "no".
    def went(prefix: str) -> dict[str, int]:
        gone = {r["id"]: [d for d in r["dropped"] if d["reason"].startswith(prefix)] for r in records}
        tp = {i: score(by_id[i], fs, mirror_labels(by_id[i], Path(args.mirrors))) for i, fs in gone.items()}
        return {"findings": sum(len(fs) for fs in gone.values()), "on_seeded_bugs": sum(sum(h) for h in tp.values()),
                "on_clean_changes": sum(len(gone[r["id"]]) for r in clean)}
    summary["refuted_by_running"] = went("not confirmed by running it")
    summary["refuted_by_the_question"] = went("not confirmed on a second look")
    summary["checks_run"] = sum(r.get("checks_run", 0) for r in records)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    rows = "\n".join(f"| {r['id']} | {r['kind']} | {len(r['findings'])} | {sum(r['true_positive'])} | "
                     f"{len(r['dropped'])} | {r['model_calls']} | {r.get('tests', '')} | {r['seconds']} |"
                     for r in records)
    (RESULTS / f"{args.name}.md").write_text(
        f"# Review benchmark\n\nCommand: `{summary['command']}`; {summary['machine_note']}.\n\n"
        f"precision {summary['precision']}, recall {summary['recall']}, comments per clean change "
        f"{summary['comments_per_clean_change']}, unparsable outputs {summary['unparsable']}, "
        f"{summary['dropped_by_checks']} findings dropped by the checks; {summary['from_tests']} shown because a "
        f"project test broke ({summary['from_tests_true']} of them true).\n\n"
        f"After the static checks, before running the calls and the yes/no question: {summary['before_verification']}.\n\n"
        f"Findings whose call ran the changed line on both versions: {summary['checks_run']}; "
        f"dropped because the result was the same: {summary['refuted_by_running']}; dropped by the model's "
        f"yes/no answer (calls that never reached the line): {summary['refuted_by_the_question']}.\n\n"
        "| case | kind | findings | true | dropped | model calls | the project's tests | seconds |\n"
        "|---|---|---|---|---|---|---|---|\n"
        + rows + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    sys.exit(main())
