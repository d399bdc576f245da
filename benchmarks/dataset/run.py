"""How long `smallcoder dataset` takes on a real repository, and what it keeps and removes.

    python benchmarks/dataset/run.py --repo /tmp/itsdangerous [--model ~/.cache/smallcoder-test-models/...gguf]

Each build (fim, sft from history, calibration, check) is one task; its figures go to
benchmarks/results/dataset-<repo>/<task>.json as soon as it ends, so a rerun skips finished tasks
(delete the file to redo one). The summary is benchmarks/results/dataset-<repo>.md. Wall times are
of a shared machine: compare them side by side, not across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _task(name: str, out_dir: Path, fn: Any) -> dict[str, Any]:
    path = out_dir / f"{name}.json"
    if path.is_file():
        return dict(json.loads(path.read_text()))
    started = time.perf_counter()
    figures = fn()
    row = {"task": name, "wall_s": round(time.perf_counter() - started, 2), **figures}
    path.write_text(json.dumps(row, indent=2) + "\n")
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", type=Path, required=True)
    p.add_argument("--model", type=Path, default=None, help="GGUF for the template, token counts and the check")
    p.add_argument("--max-commits", type=int, default=500)
    args = p.parse_args()
    from smallcoder.backends.embedded import CHATML_FALLBACK
    from smallcoder.dataset.build import make_calibration, make_fim, make_sft
    from smallcoder.dataset.template import ModelTemplate, count_tokens, read_gguf_template

    name = args.repo.resolve().name
    out_dir = RESULTS / f"dataset-{name}"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="dataset-bench-"))
    model = read_gguf_template(args.model) if args.model else ModelTemplate(CHATML_FALLBACK, "", "<|im_end|>", "ChatML")

    def fim() -> dict[str, Any]:
        b = make_fim(args.repo, tmp / "fim")
        return {"files": b.files, "info": b.info, "removed": b.removed}

    def sft() -> dict[str, Any]:
        b = make_sft(args.repo, tmp / "sft", model, db=None, max_commits=args.max_commits)
        return {"files": b.files, "info": b.info, "removed": b.removed}

    def calibration() -> dict[str, Any]:
        b = make_calibration(args.repo, tmp / "cal.txt", model, db=None)
        extra = {"tokens": count_tokens(args.model, (tmp / "cal.txt").read_text())} if args.model else {}
        return {"files": b.files, "info": b.info, "removed": b.removed, **extra}

    rows = [_task("fim", out_dir, fim), _task("sft", out_dir, sft), _task("calibration", out_dir, calibration)]
    if args.model:
        def check() -> dict[str, Any]:
            data = tmp / "sft" / "messages.jsonl"
            if not data.is_file():
                make_sft(args.repo, tmp / "sft", model, db=None, max_commits=args.max_commits)
            res = subprocess.run(["smallcoder", "dataset", "check", "-m", str(args.model), "--data", str(data),
                                  "--limit", "50"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
            return {"exit": res.returncode, "last_line": res.stdout.strip().splitlines()[-1] if res.stdout else ""}

        rows.append(_task("check", out_dir, check))
    lines = [f"# smallcoder dataset on {name}", "", f"model: {args.model.name if args.model else 'ChatML (none)'}; "
             f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", "",
             "| task | wall s | files | info | removed |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['task']} | {r['wall_s']} | {r.get('files', r.get('exit', ''))} | "
                     f"{r.get('info', r.get('last_line', ''))} | {r.get('removed', '')} |")
    (RESULTS / f"dataset-{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
