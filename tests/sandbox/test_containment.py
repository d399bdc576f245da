"""What a hostile or careless model-written command can do inside the sandbox: each attempt is contained.

Every test runs the command through the real command runner and real bubblewrap,
then checks the host side: files, processes, the user's tree and branch.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

import pytest

from smallcoder.sandbox import choose_isolation, open_sandbox
from smallcoder.sandbox import cgroup

from .conftest import SSH_KEY_MARKER, TEST_LIMITS, git, leftover_processes, needs_bwrap, sandboxed, settings, snapshot

pytestmark = needs_bwrap


def test_the_worktree_is_writable_and_tests_run_with_real_paths(sandbox, worktree):
    res = sandboxed(sandbox, f"echo made > new.txt && {sys.executable} -c 'import sys; print(sys.prefix)' && pwd")
    assert res.exit_code == 0, res.output
    assert (worktree.path / "new.txt").read_text() == "made\n"
    assert str(worktree.path.resolve()) in res.output  # the same path inside and outside
    # pytest from the virtualenv running smallcoder, with tracebacks that name the real file
    (worktree.path / "test_fail.py").write_text("def test_x():\n    assert 1 == 2\n")
    res = sandboxed(sandbox, f"{sys.executable} -m pytest -q -p no:cacheprovider test_fail.py", timeout=60)
    assert res.exit_code == 1 and "1 failed" in res.output, res.output
    assert "test_fail.py:2" in res.output


def test_writes_outside_the_worktree_do_not_reach_the_host(sandbox, worktree, user_repo, tmp_path):
    before = snapshot(user_repo)
    sibling = worktree.path.parent / "escaped.txt"
    attempts = [
        "echo pwned > /etc/pwned",
        "echo pwned > /usr/pwned",
        f"echo pwned > {user_repo}/calc.py",
        f"echo pwned > {user_repo}/new_file.py",
        "echo pwned > ../escaped.txt",
        f"echo pwned > {tmp_path}/escaped.txt",
        "echo pwned > ~/escaped.txt",
        f"rm -rf {user_repo}/.git",
        f"echo pwned > {Path.cwd()}/escaped.txt",
    ]
    for cmd in attempts:
        sandboxed(sandbox, cmd)
    assert not Path("/etc/pwned").exists() and not Path("/usr/pwned").exists()
    assert not sibling.exists() and not (tmp_path / "escaped.txt").exists()
    assert not (Path(os.environ["HOME"]) / "escaped.txt").exists()
    assert not (Path.cwd() / "escaped.txt").exists()
    assert snapshot(user_repo) == before


def test_ssh_keys_and_the_home_directory_are_not_visible(sandbox, isolated_env):
    key = isolated_env / ".ssh" / "id_ed25519"
    res = sandboxed(sandbox, f"cat {key}; cat ~/.ssh/id_ed25519; ls -la ~/.ssh; grep -r {SSH_KEY_MARKER} ~ /tmp")
    assert SSH_KEY_MARKER not in res.output
    assert "No such file" in res.output
    real_home = Path(os.path.expanduser("~" + os.environ.get("USER", "root"))) if os.environ.get("USER") else None
    listing = sandboxed(sandbox, "ls -A /root /home 2>&1; ls -A /run 2>&1")
    # Only mount points for read-only toolchain directories may appear in the hidden places.
    for name in listing.output.split():
        assert name not in {".ssh", ".gnupg", ".aws", ".netrc", ".git-credentials", "docker.sock"}, listing.output
    assert real_home is None or ".bash_history" not in listing.output


def test_git_remote_credentials_are_not_visible(sandbox):
    res = sandboxed(sandbox, "git remote -v; cat \"$(git rev-parse --git-common-dir)/config\"; git config --list")
    assert "ghp_" not in res.output and "example.com" not in res.output
    status = sandboxed(sandbox, "git status --short && git log --oneline -2")
    assert status.exit_code == 0 and "init" in status.output  # git itself still works


def test_the_users_branch_and_refs_cannot_move(sandbox, user_repo):
    before = snapshot(user_repo)
    attempts = [
        "git branch -f main HEAD~0",
        "git update-ref refs/heads/main $(git rev-parse HEAD)",
        "git checkout main",
        "git -c user.name=x -c user.email=x@x commit --allow-empty -m evil",
        "git tag evil",
        "git stash",
        f"git -C {user_repo} reset --hard",
        "echo 'gitdir: /tmp/evil' > .git",
        "rm -f .git && mkdir .git",
    ]
    for cmd in attempts:
        res = sandboxed(sandbox, cmd)
        assert res.exit_code != 0, (cmd, res.output)
    assert snapshot(user_repo) == before
    assert git(user_repo, "worktree", "list").count("smallcoder/run1") == 1


def test_no_network_by_default_and_opt_in_works(worktree, user_repo):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[bool] = []

    def serve() -> None:
        server.settimeout(10)
        try:
            conn, _ = server.accept()
            accepted.append(True)
            conn.sendall(b"hello from the host\n")
            conn.close()
        except OSError:
            pass

    probe = (f"{sys.executable} -c \"import socket; s=socket.create_connection(('127.0.0.1', {port}), timeout=3); "
             "print(s.recv(100).decode())\"")
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    closed = open_sandbox(choose_isolation(settings(mode="bwrap")), worktree.path, repo=user_repo, run_id="net1")
    res = sandboxed(closed, probe)
    assert res.exit_code != 0 and "hello" not in res.output
    assert "Connection refused" in res.output or "unreachable" in res.output.lower()
    names = sandboxed(closed, "cat /sys/class/net/*/address 2>/dev/null | wc -l; ls /sys/class/net")
    assert names.output.split()[-1] == "lo" or "lo" in names.output  # only loopback inside
    assert not accepted

    opened = open_sandbox(choose_isolation(settings(mode="bwrap", allow_network=True)), worktree.path,
                          repo=user_repo, run_id="net2")
    res = sandboxed(opened, probe)
    thread.join(5)
    server.close()
    assert res.exit_code == 0 and "hello from the host" in res.output
    assert opened.record()["network"] is True and closed.record()["network"] is False


def test_fork_bomb_is_contained(sandbox):
    if os.geteuid() == 0 and cgroup.pids_base() is None:
        pytest.skip("as root only a pids cgroup stops a fork bomb (RLIMIT_NPROC exempts uid 0); none is writable here")
    marker = "forkbomb-7a1c"
    # The classic bomb, plus a counter of how many processes it managed to start.
    bomb = f"bomb() {{ bomb | bomb & }}; bomb; sleep 1; echo {marker}-survived; ls /proc | grep -c '^[0-9]'"
    res = sandboxed(sandbox, bomb, timeout=4)
    assert "fork" in res.output.lower() or "resource temporarily unavailable" in res.output.lower(), res.output[-500:]
    assert not leftover_processes(marker)
    assert sandbox.record()["process_limit"] in ("pids cgroup", "RLIMIT_NPROC")
    # the host can still start processes, and the next command runs normally
    assert sandboxed(sandbox, "echo fine").output.strip() == "fine"


def test_filling_the_disk_is_stopped_by_the_file_size_limit_and_tmpfs(sandbox, worktree):
    mib = 1 << 20
    res = sandboxed(sandbox, "head -c 64M /dev/zero > big.bin")
    assert res.exit_code == 128 + 25, res.output  # SIGXFSZ: the file size limit
    assert (worktree.path / "big.bin").stat().st_size <= TEST_LIMITS.file_mb * mib
    res = sandboxed(sandbox, "for i in 1 2 3 4; do head -c 6M /dev/zero > /tmp/f$i || exit 9; done")
    assert res.exit_code == 9 and "No space left on device" in res.output  # /tmp is a 16 MiB tmpfs
    res = sandboxed(sandbox, "df -m /tmp | tail -1")
    assert " 16 " in f" {res.output} "


def test_printing_gigabytes_is_capped_and_stopped(sandbox):
    res = sandboxed(sandbox, "yes 'spam spam spam spam'", timeout=2, max_chars=10_000)
    assert res.timed_out
    assert res.truncated and len(res.output) < 12_000
    assert res.output.startswith("spam") and res.output.rstrip().endswith("spam")


def test_a_hanging_command_and_its_escaped_children_are_killed(sandbox):
    marker = "613.25"
    # setsid takes the child out of the process group; the pid namespace still ends it.
    res = sandboxed(sandbox, f"setsid sleep {marker} & nohup sleep {marker} >/dev/null 2>&1 & sleep {marker}",
                    timeout=1)
    assert res.timed_out and res.exit_code is None and res.duration_s < 5
    assert not leftover_processes(f"sleep {marker}")
    # a command that returns while a daemon it started lives on: the daemon goes too
    res = sandboxed(sandbox, f"(setsid sleep {marker} &) ; echo started")
    assert res.exit_code == 0 and "started" in res.output
    assert not leftover_processes(f"sleep {marker}")


def test_memory_and_cpu_limits(sandbox):
    res = sandboxed(sandbox, f"{sys.executable} -c \"b = bytearray(3 * 1024**3); print('allocated')\"")
    assert "MemoryError" in res.output and "allocated" not in res.output
    assert sandboxed(sandbox, "ulimit -t; ulimit -u; ulimit -f; ulimit -c").output.split() == [
        str(TEST_LIMITS.cpu_s), str(TEST_LIMITS.processes), str(TEST_LIMITS.file_mb * 1024), "0"]


def test_symlink_escapes_lead_nowhere(sandbox, isolated_env, user_repo, worktree):
    before = snapshot(user_repo)
    key = isolated_env / ".ssh" / "id_ed25519"
    res = sandboxed(sandbox, f"ln -s {key} leak && cat leak; ln -s {user_repo}/calc.py calc_link && "
                    "echo pwned > calc_link; ln -s / root_link && echo pwned > root_link/etc/pwned")
    assert SSH_KEY_MARKER not in res.output
    assert snapshot(user_repo) == before and not Path("/etc/pwned").exists()
    assert key.read_text().count(SSH_KEY_MARKER) == 1  # the host file is intact


def test_credentials_in_the_environment_are_not_passed(worktree, user_repo, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_0123456789abcdefghijklmnopqrstuv")
    monkeypatch.setenv("MY_SERVICE_PASSWORD", "correct-horse-battery")
    monkeypatch.setenv("DATABASE_URL", "postgres://app:s3cr3t@db.local/app")
    monkeypatch.setenv("HARMLESS_SETTING", "visible-value")
    box = open_sandbox(choose_isolation(settings(mode="bwrap")), worktree.path, repo=user_repo, run_id="env1")
    res = sandboxed(box, "env; cat /proc/self/environ | tr '\\0' '\\n'; cat /proc/1/environ 2>/dev/null")
    for secret in ("ghp_0123456789", "correct-horse", "s3cr3t", "GITHUB_TOKEN", "MY_SERVICE_PASSWORD"):
        assert secret not in res.output
    assert "HARMLESS_SETTING=visible-value" in res.output
    assert {"GITHUB_TOKEN", "MY_SERVICE_PASSWORD", "DATABASE_URL"} <= set(box.record()["env_dropped"])


def test_the_sandbox_record_says_what_was_isolated(sandbox, worktree, user_repo):
    rec = sandbox.record()
    assert rec["kind"] == "bwrap" and rec["sandboxed"] and rec["network"] is False
    assert str(worktree.path.resolve()) in rec["mounts"]["writable"]
    assert "/tmp" in rec["mounts"]["hidden"] and os.environ["HOME"] in rec["mounts"]["hidden"]
    assert rec["limits"]["file_mb"] == TEST_LIMITS.file_mb
