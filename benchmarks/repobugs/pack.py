"""Pack mined tasks into the stored dev set: small git bundles, one per project, and one task file.

    python benchmarks/repobugs/pack.py MINED.jsonl... --out benchmarks/repobugs

Each task's base commit is stored as a commit *without history* (its tree only, fixed author and
date, so packing twice gives the same ids), on a branch `task/<instance_id>` of
`repos/<project>.bundle`. The model then cannot find the fix in later commits, and the bundle
holds only the files of the base snapshots (blobs shared between snapshots are stored once).
The task keeps its upstream provenance: `upstream_commit` (the fix) and `upstream_base` (its parent).
Tasks whose message no longer reads as a fix (mine.looks_like_fix) are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from smallcoder.session.batch_tasks import BatchTask, read_tasks, write_tasks
from smallcoder.session.mine import looks_like_fix

FIXED = {"GIT_AUTHOR_NAME": "repobugs", "GIT_AUTHOR_EMAIL": "repobugs@localhost",
         "GIT_COMMITTER_NAME": "repobugs", "GIT_COMMITTER_EMAIL": "repobugs@localhost",
         "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z"}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **FIXED}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def pack_project(project: str, tasks: list[BatchTask], out: Path) -> list[BatchTask]:
    """Write `out/repos/<project>.bundle`; returns the tasks pointing into it."""
    packed = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store.git"
        git(Path(tmp), "init", "-q", "--bare", str(store))
        for task in tasks:
            git(store, "fetch", "-q", task.repo, task.base_commit or "HEAD")
            tree = git(store, "rev-parse", "FETCH_HEAD^{tree}")
            message = f"{project} at {(task.base_commit or '')[:10]}"
            commit = git(store, "commit-tree", tree, "-m", message)
            git(store, "update-ref", f"refs/heads/task/{task.file_id}", commit)
            extra = {**task.extra, "upstream_commit": task.extra.get("commit"), "upstream_base": task.base_commit,
                     "project": project}
            extra.pop("commit", None)
            packed.append(BatchTask(**{**task.__dict__, "repo": f"repos/{project}.bundle", "base_commit": commit,
                                       "extra": extra}))
        git(store, "update-ref", "refs/heads/main", packed[-1].base_commit or "")
        git(store, "symbolic-ref", "HEAD", "refs/heads/main")
        (out / "repos").mkdir(parents=True, exist_ok=True)
        bundle = out / "repos" / f"{project}.bundle"
        git(store, "bundle", "create", str(bundle), "--branches")
    return packed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mined", nargs="+", type=Path, help="task files written by `smallcoder tasks mine`")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent)
    ap.add_argument("--upstream", action="append", default=[], help="PROJECT=URL, recorded with the tasks")
    args = ap.parse_args()
    upstream = dict(u.split("=", 1) for u in args.upstream)
    everything: list[BatchTask] = []
    for path in args.mined:
        tasks = [t for t in read_tasks(path) if looks_like_fix(t.problem_statement)]
        if not tasks:
            continue
        project = tasks[0].instance_id.rsplit("-", 1)[0]
        packed = pack_project(project, tasks, args.out)
        if project in upstream:
            packed = [BatchTask(**{**t.__dict__, "extra": {**t.extra, "upstream": upstream[project]}}) for t in packed]
        everything += packed
        print(f"{project}: {len(packed)} task(s), {(args.out / 'repos' / f'{project}.bundle').stat().st_size:,} bytes")
    write_tasks(args.out / "tasks.jsonl", everything)
    print(json.dumps({"tasks": len(everything)}))


if __name__ == "__main__":
    main()
