"""The pure parts of the chat: @mentions, mode decisions and cycling, folding call markup while streaming."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from smallcoder.agent.events import StepStarted
from smallcoder.cli.chat_render import ChatRenderer, describe_args
from smallcoder.errors import ConfigError
from smallcoder.session.chat_input import expand
from smallcoder.session.chat_modes import Approvals, Mode, decision, next_mode, parse_mode


def test_mentions_attach_files_and_line_ranges_and_leave_other_words(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "stats.py").write_text("a\nb\nc\nd\n")
    out = expand("see @pkg/stats.py#L2-3, mail me@x.org about @missing.py and @pkg/stats.py.", tmp_path)
    assert out.attached == ["pkg/stats.py#L2-3", "pkg/stats.py"]
    assert out.text.startswith("see pkg/stats.py, mail me@x.org about @missing.py and pkg/stats.py.")
    assert "pkg/stats.py (lines 2-3):\n```\nb\nc\n```" in out.text
    assert "pkg/stats.py:\n```\na\nb\nc\nd\n```" in out.text


def test_mentions_never_reach_outside_the_worktree(tmp_path: Path) -> None:
    inside = tmp_path / "wt"
    inside.mkdir()
    (tmp_path / "secret.txt").write_text("s3cret")
    out = expand("read @../secret.txt and @/etc/passwd", inside)
    assert out.attached == [] and "s3cret" not in out.text and "root:" not in out.text


@pytest.mark.parametrize(("mode", "write", "exec_"), [
    (Mode.PLAN, "refuse", "allow"), (Mode.ASK, "ask", "ask"), (Mode.AUTO_EDIT, "allow", "ask"),
    (Mode.AUTO, "allow", "allow"), (Mode.YOLO, "allow", "allow"),
])
def test_decisions_by_mode_and_kind(mode: Mode, write: str, exec_: str) -> None:
    assert decision(mode, "read", read_only_sandbox=True) == "allow"
    assert decision(mode, "write", read_only_sandbox=True) == write
    assert decision(mode, "exec", read_only_sandbox=True) == exec_


def test_plan_refuses_commands_without_a_read_only_sandbox() -> None:
    assert decision(Mode.PLAN, "exec", read_only_sandbox=False) == "refuse"


def test_cycle_prefixes_and_unknown_modes() -> None:
    assert [next_mode(m) for m in (Mode.PLAN, Mode.ASK, Mode.AUTO_EDIT, Mode.AUTO, Mode.YOLO)] == [
        Mode.ASK, Mode.AUTO_EDIT, Mode.AUTO, Mode.PLAN, Mode.PLAN]
    assert parse_mode("auto-e") is Mode.AUTO_EDIT and parse_mode("YOLO") is Mode.YOLO
    with pytest.raises(ConfigError, match="modes: plan, ask"):
        parse_mode("au")  # a prefix of both auto and auto-edit
    with pytest.raises(ConfigError):
        parse_mode("fast")


def test_always_is_remembered_per_kind_and_undeclared_tools_count_as_commands() -> None:
    asked: list[tuple[str, str]] = []

    def ask(kind: str, tool: str, args: object) -> str:
        asked.append((kind, tool))
        return "a" if kind == "write" else "n"

    approvals = Approvals(ask, {"write_file": "write", "read_file": "read"})
    approvals.mode = Mode.ASK
    assert approvals("read_file", {}) and approvals("write_file", {}) and approvals("write_file", {})
    assert not approvals("mystery_tool", {})
    assert asked == [("write", "write_file"), ("exec", "mystery_tool")]


def test_streamed_call_markup_is_held_back_even_split_across_pieces() -> None:
    buf = io.StringIO()
    renderer = ChatRenderer(Console(file=buf, force_terminal=False, width=120))
    renderer(StepStarted("r", 1, 10))
    for piece in ["Let me ", "look.\n<tool", "_call>\n{\"name\": \"read_file\"}", "\n</tool_call>"]:
        renderer.on_text(piece)
    assert buf.getvalue() == "Let me look.\n"
    assert describe_args({"path": "a.py", "old": "x" * 100}).startswith("a.py old=xxx")
