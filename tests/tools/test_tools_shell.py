"""run_command, run_tests and submit with real commands."""

from __future__ import annotations

import pytest

from smallcoder.errors import Submitted, ToolError
from smallcoder.tools import default_tools
from smallcoder.tools.shell import run_command, run_tests, tail_heavy
from smallcoder.tools.submit import submit

from .conftest import write


def test_run_command_reports_exit_code_and_output(ctx, repo):
    write(repo, "hello.txt", "hi there\n")
    assert run_command(ctx, "cat hello.txt") == "exit code 0\nhi there"
    assert run_command(ctx, "echo oops >&2; exit 3") == "exit code 3\noops"
    assert run_command(ctx, "true") == "exit code 0\n(no output)"
    out = run_command(ctx, "no-such-program-xyz")
    assert out.startswith("exit code 127\n")


def test_run_command_runs_in_the_worktree_with_env(ctx, repo):
    ctx.env = {"SMALLCODER_TEST_VAR": "yes"}
    assert run_command(ctx, "pwd -P") == f"exit code 0\n{repo.resolve()}"
    assert run_command(ctx, "echo $SMALLCODER_TEST_VAR") == "exit code 0\nyes"


def test_run_command_timeout(ctx):
    ctx.command_timeout = 0.5
    out = run_command(ctx, "echo started; sleep 10")
    assert out.startswith("timed out after 0.5s\n")
    assert "started" in out


def test_run_command_empty_refused(ctx):
    with pytest.raises(ToolError, match="command is empty"):
        run_command(ctx, "  ")


def test_run_command_through_tool_truncates_output(ctx):
    ctx.max_observation_chars = 1000
    tool = {t.name: t for t in default_tools()}["run_command"]
    out = tool.invoke(ctx, {"command": "seq 1 5000"})
    assert out.startswith("exit code 0\n1\n2\n")
    assert out.endswith("4999\n5000")
    assert out.count("cut ...]") == 1
    assert len(out) <= 1000


def test_run_tests_pass_and_fail(ctx, repo):
    write(repo, "check.sh", 'echo "ran $1"\ntest "$1" = good\n')
    ctx.test_command = "bash check.sh good"
    assert run_tests(ctx) == "PASSED\nran good"
    ctx.test_command = "bash check.sh bad"
    assert run_tests(ctx) == "FAILED (exit 1)\nran bad"


def test_run_tests_timeout(ctx):
    ctx.test_command = "sleep 5"
    ctx.command_timeout = 0.3
    assert run_tests(ctx).startswith("FAILED (timed out after 0.3s)")


def test_run_tests_needs_a_command(ctx):
    with pytest.raises(ToolError, match="no test command known; pass --test-cmd"):
        run_tests(ctx)


def test_run_tests_keeps_mostly_the_tail(ctx, repo):
    ctx.max_observation_chars = 2000
    ctx.test_command = "for i in $(seq 1 3000); do echo test_$i ok; done; echo 'FAILED test_x - AssertionError'; exit 1"
    tool = {t.name: t for t in default_tools()}["run_tests"]
    out = tool.invoke(ctx, {})
    assert out.startswith("FAILED (exit 1)\ntest_1 ok\n")
    assert out.endswith("test_3000 ok\nFAILED test_x - AssertionError")
    assert len(out) <= 2000
    head, tail = out.split("cut ...]")
    assert len(tail) > 3 * len(head)


def test_tail_heavy_leaves_short_text_alone():
    assert tail_heavy("abc", 10) == "abc"


def test_submit_raises_submitted(ctx):
    with pytest.raises(Submitted) as info:
        submit(ctx, "fixed the sign in add()")
    assert info.value.message == "fixed the sign in add()"
    tool = {t.name: t for t in default_tools()}["submit"]
    with pytest.raises(Submitted):
        tool.invoke(ctx, {"summary": "done"})
