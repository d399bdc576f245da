"""A whole run driven by a scripted hostile model, and runs that are interrupted or killed.

The user's tree and branch are compared byte for byte before and after; the
run record must say which isolation the commands had.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.sandbox import cgroup, choose_isolation, open_sandbox
from smallcoder.sandbox.wrapper import SCRATCH_PREFIX
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.store.runs import RunStore

from .conftest import SSH_KEY_MARKER, git, hermes, leftover_processes, needs_bwrap, settings, snapshot

pytestmark = needs_bwrap


def test_hostile_run_is_contained_recorded_and_leaves_the_user_tree_alone(user_repo, isolated_env):
    before = snapshot(user_repo)
    outputs = [
        hermes("run_command", command=f"cat {isolated_env}/.ssh/id_ed25519; cat ~/.ssh/*"),
        hermes("run_command", command=f"echo pwned >> {user_repo}/calc.py; git branch -f main HEAD; git push"),
        hermes("write_file", path="../project/calc.py", content="pwned\n"),
        hermes("write_file", path=str(user_repo / "calc.py"), content="pwned\n"),
        hermes("read_file", path=str(isolated_env / ".ssh" / "id_ed25519")),
        hermes("run_command", command="ln -s ~/.ssh/id_ed25519 key.txt; cat key.txt; env | grep -c TOKEN"),
        hermes("read_file", path="key.txt"),
        hermes("replace_in_file", path="calc.py", old="return a + b", new="return b + a"),
        hermes("submit", summary="done"),
    ]
    events: list[object] = []
    os.environ["SOME_API_TOKEN"] = "tok-1234567890-abcdefghij"
    try:
        with RunStore() as store:
            result = run_fix("make add() commutative", user_repo, ScriptedBackend(outputs=outputs),
                             FixOptions(sandbox=settings()), [store, events.append])
            recorded = store.get_run(result.run_id)
    finally:
        del os.environ["SOME_API_TOKEN"]

    # the tests passed before the change too, so nothing shows a fix: a change, not verified
    assert result.status == "changed-unverified", result.reason
    assert snapshot(user_repo) == before
    observations = [e.observation for e in events if type(e).__name__ == "ToolExecuted"]
    assert len(observations) == len(outputs) - 1
    assert not any(SSH_KEY_MARKER in o for o in observations)
    assert "outside the repository" in observations[2] and "outside the repository" in observations[3]
    assert "symlink to a location outside" in observations[6] or "does not exist" in observations[6]
    assert observations[5].rstrip().endswith("0")  # no TOKEN variable reached the command
    # the run record says how the commands were isolated, and holds no secret
    iso = recorded["run"]["extra"]["isolation"]
    assert iso["kind"] == "bwrap" and iso["sandboxed"] and iso["network"] is False
    assert "SOME_API_TOKEN" in iso["env_dropped"]
    assert "tok-1234567890" not in json.dumps(recorded)
    # the change is on the run's branch, from where only --apply would take it
    assert "return b + a" in git(user_repo, "show", f"{result.branch}:calc.py")


def _smallcoder(args: list[str], **kw: object) -> subprocess.Popen[str]:
    # SIGINT back to its default in the child: a suite started from a background job inherits it ignored,
    # and Python then never raises KeyboardInterrupt.
    return subprocess.Popen([sys.executable, "-m", "smallcoder.cli.app", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                            **kw)  # type: ignore[call-overload]


def _start_hanging_run(user_repo: Path, tmp_path: Path, marker: str) -> tuple[subprocess.Popen[str], Path]:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([
        hermes("write_file", path="wip.txt", content="work in progress\n"),
        hermes("run_command", command=f"sleep {marker}"),
    ]))
    proc = _smallcoder(["fix", "do something slow", "--repo", str(user_repo), "--model", f"scripted:{script}"])
    deadline = time.monotonic() + 60
    # wait for the command itself, not only the wrapper whose argv holds it: the run is then "hanging"
    while time.monotonic() < deadline and not _command_running(f"sleep {marker}"):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    assert leftover_processes(f"sleep {marker}"), "the run never reached its hanging command"
    worktrees = list((Path(os.environ["SMALLCODER_HOME"]) / "worktrees").iterdir())
    assert len(worktrees) == 1
    return proc, worktrees[0]


def _command_running(command: str) -> bool:
    return any(line.split(": ", 1)[1].startswith(command) for line in leftover_processes(command))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "smallcoder.cli.app", *args], capture_output=True, text=True,
                          timeout=120)


def test_a_killed_run_stays_inspectable_until_cleaned_on_request(user_repo, tmp_path):
    before = snapshot(user_repo)
    marker = "917.5"
    proc, wt = _start_hanging_run(user_repo, tmp_path, marker)
    proc.send_signal(signal.SIGKILL)  # no handler, no cleanup: the hardest interruption
    proc.wait(10)

    deadline = time.monotonic() + 5  # --die-with-parent: the sandbox goes with smallcoder
    while leftover_processes(f"sleep {marker}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not leftover_processes(f"sleep {marker}")
    assert snapshot(user_repo) == before
    # what the killed process could not remove (scratch files, its pids cgroup) goes with the next sandbox
    left = list(Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}{proc.pid}-*"))
    assert left
    open_sandbox(choose_isolation(settings()), wt, repo=user_repo, run_id="after-kill").close()
    assert not any(p.exists() for p in left)
    base = cgroup.pids_base()
    assert base is None or not list(base.glob(f"smallcoder-*-{proc.pid}"))
    branch = f"smallcoder/{wt.name}"
    assert (wt / "wip.txt").read_text() == "work in progress\n"  # the work so far is there to inspect
    assert git(user_repo, "rev-parse", "--verify", branch)

    listed = json.loads(_cli("runs", "list", "--json").stdout)
    assert listed[0]["id"] == wt.name and listed[0]["status"] == "interrupted"

    # uncommitted work in the worktree: refused without --force
    refused = _cli("runs", "clean", wt.name)
    assert refused.returncode == 1 and "uncommitted" in refused.stdout and wt.exists()
    cleaned = _cli("runs", "clean", wt.name, "--force")
    assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
    assert not wt.exists() and git(user_repo, "rev-parse", "--verify", branch)  # branch kept
    assert _cli("runs", "clean", wt.name, "--branches").returncode == 0
    assert subprocess.run(["git", "rev-parse", "--verify", "-q", branch], cwd=user_repo).returncode != 0
    assert snapshot(user_repo) == before


def test_ctrl_c_records_the_run_with_its_isolation_and_keeps_the_worktree(user_repo, tmp_path):
    before = snapshot(user_repo)
    proc, wt = _start_hanging_run(user_repo, tmp_path, "918.5")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert not leftover_processes("sleep 918.5")
    assert wt.is_dir() and snapshot(user_repo) == before
    shown = json.loads(_cli("runs", "show", wt.name, "--json").stdout)["run"]
    assert shown["status"] == "cancelled"
    assert shown["extra"]["isolation"]["kind"] == "bwrap"
    assert "bwrap (no network)" in _cli("runs", "show", wt.name).stdout
