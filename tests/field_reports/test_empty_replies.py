"""Class: empty replies.

A reply with neither text nor a tool call is a server-side fault (a chat template that drops the
reply, a token limit used up by hidden reasoning). It is its own failure with its own reason, and it
never resets the worktree: whatever the model already changed stays.
"""

from smallcoder.agent.events import FormatProblem, FreshAttempt
from smallcoder.agent.loop import AgentConfig
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.types import Completion

from .conftest import UNITTEST
from .test_native_tool_calls import FIX, READ, native

FIX_TEXT = (
    '<tool_call>\n{"name": "replace_in_file", "arguments": {"path": "stats.py", '
    '"old": "(len(values) - 1)", "new": "len(values)"}}\n</tool_call>'
)


def fix(repo, outputs, **agent):
    events: list[object] = []
    backend = ScriptedBackend(outputs=list(outputs))
    options = FixOptions(test_command=f"{UNITTEST} test_stats", agent=AgentConfig(**agent))
    result = run_fix("mean([2,4,6]) should be 4", repo, backend, options, [events.append])
    return result, backend, events


def test_empty_replies_stop_the_run_with_their_own_reason(mean_repo):
    result, backend, events = fix(mean_repo, [""] * 8)
    assert result.status != "resolved"
    assert "empty reply 3 times in a row" in result.reason and result.stop_reason == "empty_replies"
    assert "chat template" in result.reason and "max tokens" in result.reason
    assert "repeat" not in result.reason
    assert len(backend.requests) == 3
    assert not [e for e in events if isinstance(e, FreshAttempt)]


def test_whitespace_only_reply_is_empty_too(mean_repo):
    result, _, _ = fix(mean_repo, ["\n", "  \n\n", "\t"])
    assert "empty reply 3 times in a row" in result.reason


def test_empty_replies_never_reset_the_worktree(mean_repo):
    # One real edit that does not finish the job, then nothing but empty replies:
    # the edit must still be in the run's diff.
    half = FIX_TEXT.replace('"new": "len(values)"', '"new": "(len(values) - 2)"')
    result, _, events = fix(mean_repo, [half, "", "", ""])
    assert "empty reply 3 times in a row" in result.reason
    assert "(len(values) - 2)" in result.diff
    assert not [e for e in events if isinstance(e, FreshAttempt)]


def test_empty_replies_are_retried_hotter_and_left_out_of_the_history(mean_repo):
    result, backend, events = fix(mean_repo, ["", "", FIX_TEXT])
    assert result.status == "resolved"
    assert backend.temperatures[0] is None and backend.temperatures[1] and backend.temperatures[2]
    assert backend.temperatures[2] >= backend.temperatures[1]
    # the request after an empty reply is the same request: no empty assistant turn was added
    assert [m.content for m in backend.requests[1]] == [m.content for m in backend.requests[0]]
    assert sum(isinstance(e, FormatProblem) and "empty reply" in e.message for e in events) == 2


def test_the_count_is_of_empty_replies_in_a_row(mean_repo):
    # empty, a call, empty, empty: never three in a row, so the run goes on and resolves
    outputs = [Completion(""), native(READ), Completion(""), Completion(""), native(FIX)]
    result, _, _ = fix(mean_repo, outputs)
    assert result.status == "resolved", result.reason
