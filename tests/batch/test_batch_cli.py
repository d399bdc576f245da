"""`smallcoder batch` as a user runs it: a real process, the real fix path (scripted model), real git and
pytest; two workers; SWE-bench predictions; resume; kill -9 in the middle; time limits."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace

import psutil
import pytest

from smallcoder.session.batch_tasks import write_tasks
from tests.agent.scripts import hermes

def smallcoder_cmd(*args):
    return [sys.executable, "-m", "smallcoder.cli.app", *args]


def run(*args, timeout=400):
    return subprocess.run(smallcoder_cmd(*args), capture_output=True, text=True, timeout=timeout)


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def batch_run(shop_task, tmp_path_factory):
    """One batch: the mined task with a scripted model (through the real fix path) and `gold`, 2 workers."""
    root = tmp_path_factory.mktemp("batch")
    tasks = root / "tasks.jsonl"
    write_tasks(tasks, [shop_task])
    script = root / "script.json"
    script.write_text(json.dumps([
        hermes("replace_in_file", path="shop/cart.py", old="        return apply_discount(subtotal(self.items), percent)",
               new="        return round(apply_discount(subtotal(self.items), percent), 2)"),
        hermes("submit", summary="totals rounded to cents"), hermes("submit", summary="done")]))
    out = root / "out"
    res = run("batch", str(tasks), "--model", f"scripted:{script}", "--model", "gold", "--workers", "2",
              "--out", str(out))
    return {"res": res, "out": out, "tasks": tasks, "script": script}


def test_two_models_two_workers_give_predictions_records_and_report(batch_run):
    res, out = batch_run["res"], batch_run["out"]
    assert res.returncode == 0, res.stderr
    for model in ("scripted-script", "gold"):
        [pred] = lines(out / model / "predictions.jsonl")
        assert set(pred) == {"instance_id", "model_name_or_path", "model_patch"}  # SWE-bench's keys, nothing else
        assert pred["model_name_or_path"] == model and pred["model_patch"].startswith("diff --git a/shop/cart.py")
        [rec] = lines(out / model / "records.jsonl")
        assert rec["outcome"] == "resolved", rec
        assert rec["evaluation"]["fail_to_pass"] == {"tests/test_cart.py::test_discount_is_rounded_to_cents": True}
        assert (out / model / "logs" / f"{rec['instance_id']}.log").exists()
    [scripted] = lines(out / "scripted-script" / "records.jsonl")
    assert scripted["model_calls"] >= 1 and scripted["prompt_tokens"] > 0 and scripted["run_id"]
    assert "+        return round(" in scripted["model_patch"]
    html = (out / "report.html").read_text()
    assert "<svg" in html and "scripted-script" in html and "gold" in html
    assert "| gold | 1 | 1 |" in (out / "report.md").read_text()


def test_resume_reruns_nothing_and_a_used_out_dir_is_refused(batch_run):
    args = ("batch", str(batch_run["tasks"]), "--model", f"scripted:{batch_run['script']}", "--model", "gold",
            "--out", str(batch_run["out"]))
    refused = run(*args)
    assert refused.returncode == 2 and "already holds batch results" in refused.stderr
    resumed = run(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "0 run now, 2 already done" in resumed.stderr
    assert len(lines(batch_run["out"] / "gold" / "predictions.jsonl")) == 1


@pytest.fixture
def hanging_git_server():
    """A loopback port that accepts connections and never answers: a clone from it hangs."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/project.git"


def test_kill_9_loses_no_finished_instance_and_resume_records_the_hang(shop_task, tmp_path, hanging_git_server):
    tasks = tmp_path / "tasks.jsonl"
    slow = replace(shop_task, instance_id="slow", repo=hanging_git_server)
    write_tasks(tasks, [replace(shop_task, instance_id="a"), replace(shop_task, instance_id="b"), slow])
    out = tmp_path / "out"
    args = ("batch", str(tasks), "--model", "gold", "--no-eval", "--out", str(out))
    driver = subprocess.Popen(smallcoder_cmd(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    records = out / "gold" / "records.jsonl"
    deadline = time.monotonic() + 120
    while len(lines(records)) < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(2)  # the hanging instance is now running
    workers = [p for p in psutil.Process(driver.pid).children(recursive=True) if "batch_instance" in " ".join(p.cmdline())]
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert [r["instance_id"] for r in lines(records)] == ["a", "b"]
    assert workers, "the hanging instance was not running"
    gone, alive = psutil.wait_procs(workers, timeout=15)  # orphaned workers end themselves
    assert not alive

    resumed = run(*args, "--resume", "--time-limit", "5")
    assert resumed.returncode == 0, resumed.stderr
    assert "1 run now, 2 already done" in resumed.stderr
    final = {r["instance_id"]: r for r in lines(records)}
    assert set(final) == {"a", "b", "slow"} and final["slow"]["outcome"] == "timeout"
    assert [p["instance_id"] for p in lines(out / "gold" / "predictions.jsonl")] == ["a", "b", "slow"]

    retried = run(*args, "--resume", "--retry", "timeout", "--time-limit", "3")
    assert "1 run now, 2 already done" in retried.stderr
    assert len(lines(out / "gold" / "predictions.jsonl")) == 3  # one line per instance, the latest


def test_ray_local_instance_runs_the_same_jobs(shop_task, tmp_path):
    pytest.importorskip("ray")
    tasks = tmp_path / "tasks.jsonl"
    write_tasks(tasks, [replace(shop_task, instance_id="r1"), replace(shop_task, instance_id="r2")])
    out = tmp_path / "out"
    res = run("batch", str(tasks), "--model", "gold", "--ray", "local", "--workers", "2", "--no-eval",
              "--out", str(out))
    assert res.returncode == 0, res.stderr
    recs = lines(out / "gold" / "records.jsonl")
    assert sorted(r["instance_id"] for r in recs) == ["r1", "r2"]
    assert all(r["outcome"] == "not_evaluated" and r["model_patch"] for r in recs)
    assert len({r["pid"] for r in recs}) == 2  # each instance in its own process


def test_bad_task_file_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "tasks.jsonl"
    bad.write_text('{"repo": "x"}\n')
    res = run("batch", str(bad), "--model", "gold", "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "line 1: no problem" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_another_tools_predictions_are_judged_beside_the_models(batch_run, tmp_path):
    """`--model predictions:FILE` evaluates a peer's SWE-bench predictions with the same hidden tests: here the
    gold patch under a peer's name, a broken patch, and an instance the file has no line for."""
    [task] = lines(batch_run["tasks"])
    [gold] = lines(batch_run["out"] / "gold" / "predictions.jsonl")
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps({**task, "instance_id": i}) + "\n" for i in ("good", "bad", "absent")))
    preds = tmp_path / "peer.jsonl"
    preds.write_text(
        json.dumps({"instance_id": "good", "model_name_or_path": "aider-1.5b", "model_patch": gold["model_patch"],
                    "prompt_tokens": 1234, "run_s": 20.5}) + "\n"
        + json.dumps({"instance_id": "bad", "model_name_or_path": "aider-1.5b",
                      "model_patch": gold["model_patch"].replace("round(", "int(")}) + "\n")
    out = tmp_path / "out"
    res = run("batch", str(tasks), "--model", f"predictions:{preds}", "--out", str(out))
    assert res.returncode == 0, res.stderr
    recs = {r["instance_id"]: r for r in lines(out / "predictions-aider-1.5b" / "records.jsonl")}
    assert recs["good"]["outcome"] == "resolved" and recs["good"]["prompt_tokens"] == 1234
    assert recs["good"]["wall_s"] >= 20.5  # the peer's own run time, plus the evaluation here
    assert recs["bad"]["outcome"] == "unresolved" and recs["bad"]["evaluation"]["fail_to_pass"]
    assert recs["absent"]["outcome"] == "unresolved" and "has no line for this instance" in recs["absent"]["reason"]
    assert "predictions-aider-1.5b" in (out / "report.md").read_text()
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"instance_id": "good"}\nnot json\n')
    res = run("batch", str(tasks), "--model", f"predictions:{broken}", "--out", str(tmp_path / "o2"))
    assert res.returncode == 2 and f"{broken}:2: not JSON" in res.stderr
