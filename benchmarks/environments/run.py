"""Environments benchmark: does `smallcoder fix` reach a runnable test before the model is called, and
resolve, on real projects set up the way their users set them up — with no --test-cmd, sandbox on?

Two smallcoder source trees run the same projects side by side: this checkout ("now") and, with
`--before REV`, the tree at a git revision (e.g. the commit before issue 13). The model is scripted and
makes exactly the right edit, so the figures measure what smallcoder does around the model: finding the
environment, the worktree's contents, the test command. Every project's result is saved as it finishes
(results/environments/<version>-<project>.json); the same command resumes.

    python benchmarks/environments/run.py --mirrors /work/.mirror --before 58a15c0
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from projects import GIT, PROJECTS, Project, sh

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
# The runner ran tests: pytest's or unittest's or mocha's count line (an import or collection error has none).
RAN = re.compile(r"\b\d+ (?:passed|failed)\b|\bRan [1-9]\d* tests?\b|\b\d+ (?:passing|failing)\b|^# pass \d+", re.MULTILINE)
CLI = "import sys; sys.argv[0] = 'smallcoder'; from smallcoder.cli.app import main; main()"


def source_tree(rev: str | None, scratch: Path) -> Path:
    """`src/` of this checkout, or of `rev` extracted into scratch."""
    if rev is None:
        return ROOT / "src"
    dest = scratch / f"src-{rev}"
    if not dest.exists():
        archive = subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, capture_output=True, check=True).stdout
        with tempfile.TemporaryFile() as f:
            f.write(archive)
            f.seek(0)
            with tarfile.open(fileobj=f) as tar:
                tar.extractall(dest, filter="data")
    return dest / "src"


def user_checkout(project: Project, work: Path, mirrors: Path) -> Path:
    """Build the project once, then commit its bug (a marker file says it is ready)."""
    marker = work / f"{project.name}.ready"
    if marker.exists():
        return Path(marker.read_text().strip())
    repo = project.build(work, mirrors)
    path, good, bad = project.bug
    text = (repo / path).read_text()
    assert good in text, f"{project.name}: {good!r} not in {path}"
    (repo / path).write_text(text.replace(good, bad, 1))
    sh([*GIT, "commit", "-qm", "a one-line bug", path], repo)
    marker.write_text(str(repo))
    return repo


def scripted_model(project: Project, work: Path) -> Path:
    path, good, bad = project.bug
    call = {"name": "replace_in_file", "arguments": {"path": path, "old": bad, "new": good}}
    submit = {"name": "submit", "arguments": {"summary": "fixed"}}
    replies = [f"<tool_call>\n{json.dumps(c)}\n</tool_call>" for c in (call, submit, submit)]
    out = work / f"{project.name}.model.json"
    out.write_text(json.dumps(replies))
    return out


def run_one(project: Project, version: str, src: Path, repo: Path, work: Path) -> dict[str, object]:
    home = work / f"home-{version.split()[0]}"
    env = {**os.environ, "PYTHONPATH": str(src), "SMALLCODER_HOME": str(home),
           "SMALLCODER_CONFIG": str(work / "none.toml")}
    env.update({k: v.format(work=work) for k, v in project.env.items()})
    argv = [sys.executable, "-c", CLI, "fix", project.task, "--repo", str(repo),
            "--model", f"scripted:{scripted_model(project, work)}", "--json"]
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=1800, check=False)
    wall = time.perf_counter() - started
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        result = {}
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    out: dict[str, object] = {
        "project": project.name, "kind": project.kind, "version": version, "exit_code": proc.returncode,
        "status": result.get("status", "error"),  # no JSON: the one-line error (exit 2) said why
        "reason": result.get("reason") or (errors[-1] if errors else proc.stderr.strip()[-300:]),
        "wall_s": round(wall, 2),
    }
    run_id = result.get("run_id") or _latest_run(env, repo)  # a run that ended in an error prints no JSON
    if run_id:
        shown = subprocess.run([sys.executable, "-c", CLI, "runs", "show", str(run_id), "--json"],
                               env=env, capture_output=True, text=True, check=False)
        record = json.loads(shown.stdout)
        runs = record.get("test_runs") or []
        first = runs[0] if runs else None
        out["test_command"] = record["run"]["test_command"]
        out["status"] = result.get("status") or record["run"]["status"] or "error"
        out["tests_before_ran"] = bool(first and RAN.search(first["output"] or ""))
        out["tests_before_s"] = round(first["duration_s"], 2) if first else None
        out["tests_before_tail"] = (first["output"] or "").strip().splitlines()[-1:] if first else []
        extra = record["run"].get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra)
        out["environment"] = (extra.get("environment") or {}).get("used")
    else:
        out["tests_before_ran"] = False
    out["runnable_before_model"] = bool(out["tests_before_ran"])
    return out


def _latest_run(env: dict[str, str], repo: Path) -> str | None:
    listed = subprocess.run([sys.executable, "-c", CLI, "runs", "list", "--json"], env=env, capture_output=True,
                            text=True, check=False)
    try:
        runs = json.loads(listed.stdout)
    except json.JSONDecodeError:
        return None
    mine = [r for r in runs if Path(r.get("repo") or "/").resolve() == repo.resolve()]
    return str(mine[0]["id"]) if mine else None


def summarize(results: list[dict[str, object]], versions: list[str], command: str) -> tuple[dict, str]:
    load = os.getloadavg()
    summary: dict[str, object] = {"command": command, "machine": f"{os.cpu_count()} CPUs, load average "
                                  f"{load[0]:.1f} at the end (shared by other engineers' work)", "versions": {}}
    note = (f"Machine: {summary['machine']}. The model is scripted and makes the right edit; the figures "
            "measure finding the environment, the worktree's contents and the test command.")
    lines = ["# Environments benchmark", "", f"`{command}`", "", note, "",
             "| project | what it exercises | " + " | ".join(versions) + " |", "|---|---|" + "---|" * len(versions)]
    for project in PROJECTS:
        cells = []
        for v in versions:
            r = next((x for x in results if x["project"] == project.name and x["version"] == v), None)
            if r is None:
                cells.append("—")
                continue
            ran = "tests ran" if r["runnable_before_model"] else "tests did not run"
            cells.append(f"**{r['status']}** ({ran}; {r['wall_s']} s)")
        lines.append(f"| {project.name} | {project.kind} | " + " | ".join(cells) + " |")
    lines.append("")
    for v in versions:
        mine = [r for r in results if r["version"] == v]
        figures = {"projects": len(mine), "runnable_before_model": sum(bool(r["runnable_before_model"]) for r in mine),
                   "resolved": sum(r["status"] == "resolved" for r in mine)}
        summary["versions"][v] = figures  # type: ignore[index]
        lines.append(f"- **{v}**: {figures['runnable_before_model']}/{figures['projects']} reach a runnable test "
                     f"before the model is called; {figures['resolved']}/{figures['projects']} resolved.")
    lines += ["", "Why each run ended:", ""]
    for r in results:
        lines.append(f"- {r['version']} · {r['project']}: {str(r['reason'])[:220]}")
    summary["results"] = results
    return summary, "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirrors", type=Path, required=True, help="folder of git mirrors: owner+name/repo")
    ap.add_argument("--before", help="also run the smallcoder tree at this git revision, side by side")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "smallcoder-bench-environments")
    ap.add_argument("--only", action="append", help="project names (repeatable)")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    per_task = RESULTS / "environments"
    per_task.mkdir(parents=True, exist_ok=True)
    versions = [(f"before ({args.before})", source_tree(args.before, args.work))] if args.before else []
    versions.append(("now", source_tree(None, args.work)))
    results = []
    for project in PROJECTS:
        if args.only and project.name not in args.only:
            continue
        repo = user_checkout(project, args.work, args.mirrors)
        for version, src in versions:  # interleaved per project: load changes hit both alike
            saved = per_task / f"{version.split()[0]}-{project.name}.json"
            if saved.exists():
                results.append(json.loads(saved.read_text()))
                continue
            result = run_one(project, version, src, repo, args.work)
            saved.write_text(json.dumps(result, indent=1))
            results.append(result)
            print(f"{version:>20} {project.name:<24} {result['status']:<12} {result['wall_s']:>7} s", flush=True)
    command = "python benchmarks/environments/run.py " + " ".join(sys.argv[1:])
    summary, md = summarize(results, [v for v, _ in versions], command)
    (RESULTS / "environments.json").write_text(json.dumps(summary, indent=1))
    (RESULTS / "environments.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
