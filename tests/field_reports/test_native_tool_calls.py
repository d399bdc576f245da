"""Class: native tool calls are part of the answer.

Servers that parse tool calls themselves (llama-server --jinja, vLLM with a tool parser, LM Studio,
Ollama with `tools`) answer with `tool_calls` and empty text. Two such answers with different calls
are different answers, not a verbatim repeat. (The same path against real server processes is in
test_native_servers.py.)
"""

from smallcoder.agent.events import FreshAttempt
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.types import Completion, ToolCall

from .conftest import UNITTEST

READ = ToolCall("read_file", {"path": "stats.py"}, id="call_0")
FIX = ToolCall("replace_in_file", {"path": "stats.py", "old": "(len(values) - 1)", "new": "len(values)"}, id="call_1")
SUBMIT = ToolCall("submit", {"summary": "mean divides by len(values)"}, id="call_2")


def native(*calls: ToolCall, text: str = "") -> Completion:
    return Completion(text=text, tool_calls=list(calls), finish_reason="tool_calls")


def fix(repo, outputs):
    events: list[object] = []
    backend = ScriptedBackend(outputs=list(outputs), dialect=None)
    options = FixOptions(test_command=f"{UNITTEST} test_stats")
    result = run_fix("mean([2,4,6]) should be 4", repo, backend, options, [events.append])
    return result, backend, events


def test_different_native_calls_with_empty_text_are_not_a_repeat(mean_repo):
    result, backend, events = fix(mean_repo, [native(READ), native(FIX), native(SUBMIT)])
    assert not [e for e in events if isinstance(e, FreshAttempt)]
    assert result.status == "resolved", result.reason
    assert "+    return sum(values) / len(values)" in result.diff


def test_same_native_call_again_is_a_repeat_even_with_a_new_id(mean_repo):
    again = ToolCall(READ.name, dict(READ.arguments), id="call_9")
    result, backend, events = fix(mean_repo, [native(READ), native(again), native(FIX)])
    fresh = [e for e in events if isinstance(e, FreshAttempt)]
    assert len(fresh) == 1 and "repeated" in fresh[0].reason
    assert result.status == "resolved"
    # the fresh attempt started from the first prompt again, sampled hotter
    assert len(backend.requests[2]) == 2 and backend.temperatures[2] is not None


def test_same_text_with_different_native_calls_is_not_a_repeat(mean_repo):
    result, _, events = fix(mean_repo, [native(READ, text="Let me look."), native(FIX, text="Let me look.")])
    assert not [e for e in events if isinstance(e, FreshAttempt)]
    assert result.status == "resolved"


def test_argument_order_does_not_make_a_new_answer(mean_repo):
    swapped = ToolCall(FIX.name, {"new": "len(values)", "old": "(len(values) - 1)", "path": "stats.py"})
    bad = ToolCall("read_file", {"path": "nope.py"})
    result, _, events = fix(mean_repo, [native(bad), native(ToolCall(bad.name, {"path": "nope.py"})), native(swapped)])
    assert len([e for e in events if isinstance(e, FreshAttempt)]) == 1
    assert result.status == "resolved"
