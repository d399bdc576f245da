"""Check miniswe_repobugs.py end to end without a model: a scripted OpenAI-compatible server, one task.

    PYTHONPATH=src .venv/bin/python benchmarks/peers/miniswe_smoke.py [--out /tmp/miniswe-smoke]

The server is tests/backends/openai_fake.py's, answering without streaming when asked to (mini-swe-agent's
litellm calls do not stream). Its three replies do what a model would: apply the task's reference fix with
`git apply`, write patch.txt as mini's prompt asks, and print mini's submit marker. The check: mini ran in the
checkout (the prompt names it, not /testbed), the requests carried the model name, the reply cap and the
temperature, the predictions line holds the fix (and not patch.txt), and `smallcoder batch --model
predictions:` judges it resolved with the hidden tests. Nothing here needs the network or a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from tests.backends.openai_fake import Answer, OpenAIFake  # noqa: E402

ALIAS = "qwen2.5-coder-1.5b-instruct-q4_k_m"


class NonStreamingFake(OpenAIFake):
    """The project's fake, plus plain JSON completions for requests that do not ask to stream."""

    def _handler(self) -> Any:
        fake = self
        streaming = super()._handler()

        class Handler(streaming):  # type: ignore[misc, valid-type]
            def _stream(self, body: dict[str, Any], a: Answer) -> None:
                if body.get("stream"):
                    return super()._stream(body, a)
                completion = len(a.text.split())
                self._send(200, {
                    "id": "c1", "object": "chat.completion", "created": 1, "model": fake.model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": a.text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": a.prompt_tokens, "completion_tokens": completion,
                              "total_tokens": a.prompt_tokens + completion},
                })

        return Handler


def command(text: str) -> str:
    """A reply in mini's text format: a thought, then one command block."""
    return f"THOUGHT: next step.\n\n```mswea_bash_command\n{text}\n```"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("/tmp/miniswe-smoke"))
    ap.add_argument("--tasks", type=Path, default=ROOT / "benchmarks" / "repobugs" / "tasks.jsonl")
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    task = json.loads(args.tasks.read_text(encoding="utf-8").splitlines()[0])
    fix = task["patch"]
    assert "\n```" not in fix, "the reference fix would end mini's command block early"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with NonStreamingFake(model=ALIAS) as fake:
        fake.answers = [
            Answer(command(f"git apply <<'PATCH_EOF'\n{fix}PATCH_EOF"), prompt_tokens=3000),
            Answer(command("git diff > patch.txt && cat patch.txt | head -5"), prompt_tokens=3500),
            Answer(command("echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && cat patch.txt"), prompt_tokens=3600),
        ]
        run = subprocess.run([
            sys.executable, str(HERE / "miniswe_repobugs.py"), "--model", f"/models/{ALIAS}.gguf",
            "--name", "smoke", "--limit", "1", "--server-url", f"{fake.url}/v1", "--budget", "300",
            "--results", str(args.out / "results"), "--work", str(args.out / "work"), "--fresh",
        ], env=env, capture_output=True, text=True, timeout=600)
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
        assert run.returncode == 0, f"the runner exited {run.returncode}"
        requests = list(fake.requests)
    print(f"{len(requests)} requests to the fake")
    assert len(requests) == 3, "mini should have asked three times (apply, write patch.txt, submit)"
    first = requests[0]
    assert first["model"] == ALIAS and first.get("max_tokens") == 2048 and first.get("temperature") == 0.0, first
    assert not first.get("stream"), "mini's litellm calls do not stream"
    prompt = first["messages"][1]["content"]
    checkout = args.out / "work" / "repos" / task["instance_id"]
    assert str(checkout.resolve()) in prompt and "/testbed" not in prompt, "the prompt should name the checkout"
    assert task["problem_statement"].strip()[:200] in prompt

    out_dir = args.out / "results" / "repobugs-miniswe-smoke"
    line = json.loads((out_dir / "predictions.jsonl").read_text(encoding="utf-8").splitlines()[0])
    record = json.loads((out_dir / "tasks" / f"{task['instance_id']}.json").read_text(encoding="utf-8"))
    print({k: line[k] for k in line if k != "model_patch"}, f"{len(line['model_patch'])} patch chars")
    print({k: record[k] for k in ("status", "exit_status", "steps", "commands", "format_errors", "token_source")})
    assert line["instance_id"] == task["instance_id"] and line["model_name_or_path"] == "miniswe-smoke"
    changed = {ln.split(" b/")[-1] for ln in line["model_patch"].splitlines() if ln.startswith("diff --git")}
    wanted = {ln.split(" b/")[-1] for ln in fix.splitlines() if ln.startswith("diff --git")}
    assert changed == wanted, f"the patch changes {changed}, the fix {wanted} (patch.txt must not be in it)"
    assert record["status"] == "exited" and record["exit_status"] == "Submitted", record
    assert record["submission"].startswith("diff --git"), "mini's own submission: the patch.txt it printed"
    assert line["steps"] == 3 and line["prompt_tokens"] == 10100, line

    evaluation = args.out / "eval"
    judge = subprocess.run([
        str(ROOT / ".venv" / "bin" / "python"), "-m", "smallcoder.cli.app", "batch", str(args.tasks),
        "--model", f"predictions:{out_dir / 'predictions.jsonl'}", "--limit", "1", "--out", str(evaluation),
    ], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    print(judge.stdout[-2000:], judge.stderr[-2000:], sep="\n")
    assert judge.returncode == 0, f"batch exited {judge.returncode}"
    records = [json.loads(x) for x in (evaluation / "predictions-miniswe-smoke" / "records.jsonl")
               .read_text(encoding="utf-8").splitlines() if x.strip()]
    print([(r["instance_id"], r.get("outcome"), r.get("reason")) for r in records])
    assert [r.get("outcome") for r in records] == ["resolved"], records
    print("smoke OK")


if __name__ == "__main__":
    main()
