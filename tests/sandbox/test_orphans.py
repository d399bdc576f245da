"""No command outlives the smallcoder process that started it, however that process dies.

The hard case is SIGKILL at the worst moment: while the wrapper chain (env, sh, bwrap) is still starting,
before bwrap has armed `--die-with-parent`. These tests kill a real smallcoder process at that moment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from smallcoder.sandbox import choose_isolation, open_sandbox
from smallcoder.sandbox.orphans import OWNER_VAR, kill_orphans, orphaned
from tests.sandbox.conftest import leftover_processes, needs_bwrap, settings


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _gone(marker: str, within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while leftover_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not leftover_processes(marker)


def test_a_command_whose_owner_died_is_killed_and_a_live_owners_command_is_not():
    dead, alive = "911.31", "911.32"
    env = {**os.environ}
    orphan = subprocess.Popen(["sleep", dead], env={**env, OWNER_VAR: str(_dead_pid())}, start_new_session=True)
    mine = subprocess.Popen(["sleep", alive], env={**env, OWNER_VAR: str(os.getpid())}, start_new_session=True)
    try:
        assert orphan.pid in orphaned() and mine.pid not in orphaned()
        assert orphan.pid in kill_orphans()
        assert orphan.wait(5) == -signal.SIGKILL
        assert mine.poll() is None
    finally:
        for proc in (orphan, mine):
            proc.kill()
            proc.wait()


def test_inside_a_sandbox_the_parent_runs_processes_are_not_orphans(monkeypatch):
    # smallcoder run by a project's tests inside a smallcoder sandbox inherits the outer run's marker, whose
    # owner it cannot see from inside the pid namespace: those processes (its own test command) are not orphans
    outer = str(_dead_pid())
    monkeypatch.setenv(OWNER_VAR, outer)
    sibling = subprocess.Popen(["sleep", "911.33"], env={**os.environ}, start_new_session=True)
    try:
        assert sibling.pid not in orphaned() and sibling.pid not in kill_orphans()
        assert sibling.poll() is None
    finally:
        sibling.kill()
        sibling.wait()


_CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from smallcoder.sandbox import choose_isolation, open_sandbox
    from smallcoder.workspace.runner import run_command
    from tests.sandbox.conftest import settings
    box = open_sandbox(choose_isolation(settings(mode=sys.argv[1])), Path(sys.argv[2]), run_id="killed")
    run_command(f"sleep {sys.argv[3]}", box.worktree, timeout=60, wrap=box.wrap, env=box.runner_env)
""")


def _kill_while_starting(mode: str, worktree: str, marker: str) -> None:
    """Start a sandboxed command in a child smallcoder and SIGKILL it the moment the wrapper appears."""
    child = subprocess.Popen([sys.executable, "-c", _CHILD, mode, worktree, marker], cwd=os.getcwd())
    deadline = time.monotonic() + 60
    while not leftover_processes(f"sleep {marker}"):
        assert child.poll() is None and time.monotonic() < deadline, "the command never started"
    child.send_signal(signal.SIGKILL)
    child.wait(10)


@needs_bwrap
def test_killed_while_the_sandbox_starts_leaves_nothing_once_the_next_sandbox_opens(worktree, user_repo):
    for attempt in range(5):
        marker = f"912.{attempt}1"
        _kill_while_starting("bwrap", str(worktree.path), marker)
        # the kernel ends most of them at once; what slipped through bwrap's own start-up window goes here
        open_sandbox(choose_isolation(settings(mode="bwrap")), worktree.path, repo=user_repo, run_id="next").close()
        assert _gone(f"sleep {marker}"), leftover_processes(f"sleep {marker}")


def test_an_unsandboxed_command_dies_with_its_parent_without_any_sweep(worktree):
    for attempt in range(3):
        marker = f"914.{attempt}1"
        _kill_while_starting("none", str(worktree.path), marker)
        assert _gone(f"sleep {marker}"), leftover_processes(f"sleep {marker}")
