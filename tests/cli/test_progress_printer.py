"""The live progress lines a user sees for each kind of event."""

from rich.console import Console

from smallcoder.agent.events import FormatProblem, FreshAttempt, RunStarted, ToolExecuted
from smallcoder.cli.render import ProgressPrinter
from smallcoder.types import ToolCall


def printed(*events) -> str:
    console = Console(record=True, width=200, color_system=None)
    printer = ProgressPrinter(console)
    for event in events:
        printer(event)
    return console.export_text()


def test_corrections_and_fresh_attempts_are_told_apart():
    out = printed(
        RunStarted("r1", "task", "/repo", "/wt", "smallcoder/r1", "abc", "qwen", "pytest -q", 8192),
        FormatProblem("r1", 1, "no tool call found; answer with one tool call"),
        FreshAttempt("r1", 2, 2, 0.7, "repeated an earlier answer word for word"),
        ToolExecuted("r1", 3, ToolCall("read_file", {"path": "stats.py"}), "def mean(values): ...", True, 0.01),
    )
    assert "run r1" in out and "context 8,192" in out
    assert "! no tool call found" in out
    assert "↻ repeated an earlier answer word for word: attempt 2 from the start, temperature 0.7" in out
    assert '→ read_file {"path": "stats.py"}' in out


def test_a_reply_stopped_early_says_why():
    from smallcoder.agent.events import ModelCalled
    from smallcoder.types import Completion

    out = printed(ModelCalled("r1", 1, Completion("<tool_call>…</tool_call>", latency_s=2.0, cut="tool_call")),
                  ModelCalled("r1", 2, Completion("The bug is", latency_s=1.0)))
    assert "stopped early: after the tool call" in out and out.count("stopped early") == 1
