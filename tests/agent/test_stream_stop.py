"""Replies stopped while they stream (agent/stream_stop.py, protocol/stream_end.py), fed as fake streams."""

import json
import time

import pytest

from smallcoder.agent.loop import Agent, AgentConfig
from smallcoder.agent.policy import Policy
from smallcoder.agent.stream_stop import StreamStop
from smallcoder.backends.base import Capabilities
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.protocol.stream_end import first_call_end
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.store.runs import RunStore
from smallcoder.tools import ToolContext, default_tools

from .scripts import FIX_MEAN, hermes

# A whole-body edit, long enough that half of it is more than the shared opening of any edit of stats.py.
LONG_NEW = ('if not values:\n        raise ValueError("mean() of an empty sequence")\n    total = 0.0\n'
            '    for value in values:\n        total += value\n    count = len(values)\n    return total / count')


def feed(stop: StreamStop, text: str, piece: int = 3) -> tuple[str, str]:
    """Stream `text` into `stop` a few characters at a time, as a backend does: (text kept, reason)."""
    for i in range(0, len(text), piece):
        reason = stop(text[:i + piece])
        if reason:
            return text[:i + piece], reason
    return text, ""


def test_stops_right_after_the_first_complete_call():
    call = hermes("read_file", path="stats.py")
    kept, reason = feed(StreamStop("hermes"), call + "\nNow the tests will pass, as the output shows:\n...")
    assert reason == "tool_call" and kept.rstrip().endswith("</tool_call>") and len(kept) < len(call) + 3


def test_a_closing_tag_inside_a_value_does_not_end_the_call():
    call = hermes("write_file", path="t.py", content='FIXTURE = "<tool_call>{}</tool_call>"\n')
    assert first_call_end(call, "hermes") == len(call)
    kept, reason = feed(StreamStop("hermes"), call + " and more")
    assert reason == "tool_call" and kept.startswith(call)


@pytest.mark.parametrize("dialect, text", [
    ("qwen3_xml", "<tool_call>\n<function=read_file>\n<parameter=path>\nx.py\n</parameter>\n</function>\n</tool_call>"),
    ("hermes", '<tool_call>\n```json\n{"name": "read_file", "arguments": {"path": "x.py"}}\n```\n</tool_call>'),
    (None, '```json\n{"name": "read_file", "arguments": {"path": "x.py"}}\n```'),
])
def test_other_call_shapes_end_where_they_close(dialect, text):
    assert first_call_end(text + "\nmore text", dialect) == len(text)
    assert first_call_end(text[:-3], dialect) is None  # not closed yet


def test_a_json_block_that_is_no_call_and_mistral_run_on():
    assert first_call_end('```json\n{"a": 1}\n```', "hermes") is None
    assert first_call_end('[TOOL_CALLS][{"name": "read_file", "arguments": {}}]', "mistral") is None


def test_prose_is_capped_only_before_any_code():
    prose = "The function mean divides by the wrong count, which is why the test fails. " * 20
    kept, reason = feed(StreamStop("hermes", prose_chars=400), prose)
    assert reason == "prose" and 400 <= len(kept) < 410
    code_first = "Here is the fix:\n```python\n" + "x = 1\n" * 200 + "```"
    assert feed(StreamStop("hermes", prose_chars=400), code_first)[1] == ""


def test_a_repeat_is_caught_from_its_first_part_and_a_shared_opening_is_not():
    earlier = hermes("replace_in_file", path="stats.py", old="return sum(values) / (len(values) - 1)", new=LONG_NEW)
    stop = StreamStop.build("hermes", stop_after_call=True, prose_tokens=0, earlier=[earlier])
    kept, reason = feed(stop, earlier)
    assert reason == "repeat" and len(kept) < len(earlier) * 0.5 + 3
    other = hermes("replace_in_file", path="stats.py", old="return sum(values) / (len(values) - 1)",
                   new="return sum(values) / len(values)")  # same tool, file and old text: not a repeat
    stop = StreamStop.build("hermes", stop_after_call=True, prose_tokens=0, earlier=[earlier])
    assert feed(stop, other) == (other, "tool_call")  # same tool and file, other arguments: not a repeat


def streaming(outputs):
    return ScriptedBackend(outputs=list(outputs), capabilities=Capabilities(streaming=True))


def fix(repo, backend):
    with RunStore() as store:
        result = run_fix("mean() is wrong for [2, 4, 6]", repo, backend, FixOptions(), [store])
        return result, store.get_run(result.run_id)


def test_a_reply_going_round_in_place_is_caught_and_tables_of_short_lines_are_not():
    looping = "```python\ndef load(fp):\n" + "    # The file-like object must be open in binary mode.\n" * 40
    kept, reason = feed(StreamStop(cut_loops=True), looping)
    assert reason == "loop" and kept.count("binary mode") == 6
    table = "```python\nTABLE = [\n" + "    0,\n" * 40 + "]\n```"
    assert feed(StreamStop(cut_loops=True), table) == (table, "")  # short lines: data, not a loop
    assert feed(StreamStop(), looping)[1] == ""  # off unless asked


def test_fix_run_drops_a_looping_reply_early_and_samples_hotter(example_repo):
    looping = "```python\ndef mean(values):\n" + "    # the mean of the values, divided by their count\n" * 60
    backend = streaming([looping, FIX_MEAN])
    result, detail = fix(example_repo, backend)
    assert result.status == "resolved"
    assert detail["model_calls"][0]["cut"] == "loop" and len(backend.streamed[0]) < len(looping) / 5
    assert backend.temperatures[1] == AgentConfig().retry_temperatures[0]
    assert "one line over and over" in detail["format_problems"][0]["message"]


def test_fix_run_keeps_only_the_call_of_a_reply(example_repo):
    backend = streaming([FIX_MEAN + "\n\nThis divides by the count, so the tests pass now. " * 5])
    result, detail = fix(example_repo, backend)
    assert result.status == "resolved"
    call = detail["model_calls"][0]
    assert call["cut"] == "tool_call" and call["text"].rstrip().endswith("</tool_call>")


def test_fix_run_answers_long_prose_with_a_correction(example_repo):
    prose = "Let me think about what mean() does with an empty list and with negative numbers. " * 30
    backend = streaming([prose, FIX_MEAN])
    result, detail = fix(example_repo, backend)
    assert result.status == "resolved"
    assert detail["model_calls"][0]["cut"] == "prose" and len(backend.streamed[0]) < len(prose) / 2
    assert backend.requests[1][-1].role == "user"  # the correction followed the cut reply
    assert len(detail["format_problems"]) == 1


def test_fix_run_drops_a_repeat_early_and_samples_hotter(example_repo):
    wrong = hermes("replace_in_file", path="stats.py", old="return sum(values) / (len(values) - 2)",
                   new=LONG_NEW)  # fails: that text is not in the file
    backend = streaming([wrong, wrong, FIX_MEAN])
    result, detail = fix(example_repo, backend)
    assert result.status == "resolved"
    assert detail["model_calls"][1]["cut"] == "repeat" and len(backend.streamed[1]) < len(wrong) * 0.5 + 4
    assert backend.temperatures[2] == AgentConfig().retry_temperatures[0]
    third = [m.content for m in backend.requests[2] if m.role == "assistant"]
    assert third == [wrong]  # the cut repeat never entered the history
    assert not [e for e in detail["fresh_attempts"]]  # no reset of the worktree for it


def test_repeats_run_to_the_end_after_the_limit(example_repo):
    wrong = hermes("replace_in_file", path="stats.py", old="return sum(values) / (len(values) - 2)", new=LONG_NEW)
    backend = streaming([wrong, wrong, wrong, FIX_MEAN])
    result, detail = fix(example_repo, backend)
    assert [c["cut"] for c in detail["model_calls"][:3]] == ["tool_call", "repeat", "tool_call"]
    assert len(detail["fresh_attempts"]) == 1  # the whole repeat: the policy's fresh attempt, as before
    assert result.status == "resolved"


def test_a_conversation_keeps_its_prose(tmp_path):
    answer = "mean() adds the values and divides by their count minus one, which is the bug. " * 20
    backend = streaming([answer])
    agent = Agent(backend, default_tools(), ToolContext(root=tmp_path), AgentConfig(), "r1", policy=Policy())
    outcome = agent.run("You answer questions.", "What does mean() do?")
    assert backend.streamed == [answer] and outcome.reason == answer.strip()


def test_backends_that_do_not_stream_get_no_stop_check(example_repo):
    backend = ScriptedBackend(outputs=[FIX_MEAN + " trailing words"])
    result, detail = fix(example_repo, backend)
    assert result.status == "resolved" and detail["model_calls"][0]["cut"] == ""
    assert json.loads(json.dumps(detail["model_calls"][0]["text"])).endswith("trailing words")


def test_no_prose_cap_where_the_server_streams_calls_apart_from_the_text(example_repo):
    prose = "Let me think about what mean() does with an empty list and with negative numbers. " * 30
    backend = ScriptedBackend(outputs=[prose, FIX_MEAN], capabilities=Capabilities(streaming=True, native_tools=True))
    result, detail = fix(example_repo, backend)
    assert detail["model_calls"][0]["cut"] == "" and backend.streamed[0] == prose


def test_a_call_in_a_misnamed_wrapper_ends_the_reply_too():
    text = '<tools>\n{"name": "run_tests", "arguments": {}}\n</tools>'
    assert first_call_end(text + "\nMore prose", "hermes") == len(text)
    assert first_call_end(text[:-3], "hermes") is None


def test_a_reply_streaming_past_the_deadline_is_cut():
    assert feed(StreamStop("hermes", deadline=time.perf_counter() - 1), "Let me look at stats.py")[1] == "time"
    assert feed(StreamStop("hermes", deadline=time.perf_counter() + 3600), "Let me look")[1] == ""


def test_the_time_limit_ends_a_run_mid_reply_and_keeps_nothing_of_the_reply(example_repo, monkeypatch):
    """The limit passes while the second reply streams: that reply is cut, its half-written edit is not
    applied, and the run ends unresolved on its time limit."""
    backend = streaming([hermes("list_files"), FIX_MEAN])
    late = []

    class Clock:  # the stop check's clock jumps an hour ahead once the second reply has begun
        @staticmethod
        def perf_counter():
            return time.perf_counter() + (3600 if late else 0)

    def on_text(text):
        if len(backend.requests) == 2 and len(backend.streamed) == 1:
            late.append(text)

    backend.on_text = on_text
    monkeypatch.setattr("smallcoder.agent.stream_stop.time", Clock)
    with RunStore() as store:
        result = run_fix("mean() is wrong for [2, 4, 6]", example_repo, backend,
                         FixOptions(agent=AgentConfig(time_limit_s=600)), [store])
        detail = store.get_run(result.run_id)
    assert result.status == "unresolved" and result.reason == "time limit of 600 s reached"
    assert [c["cut"] for c in detail["model_calls"]] == ["tool_call", "time"]
    assert len(backend.streamed[1]) < len(FIX_MEAN) and result.diff == ""


def test_the_time_limit_is_checked_before_each_step(example_repo):
    backend = ScriptedBackend(outputs=[hermes("list_files")])
    with RunStore() as store:
        result = run_fix("mean() is wrong for [2, 4, 6]", example_repo, backend,
                         FixOptions(agent=AgentConfig(time_limit_s=0.001)), [store])
    assert result.status == "unresolved" and "time limit" in result.reason and backend.requests == []


def test_a_reply_cut_at_the_deadline_before_any_text_is_the_time_limit_not_an_empty_reply(example_repo, monkeypatch):
    """The limit passes as the first, blank piece streams: the run ends on its time limit, not as a server
    whose replies come back empty (which would blame the chat template)."""
    backend = streaming(["\n\n\n\n" + FIX_MEAN])

    class Late:  # the stop check's clock is past the deadline from the first piece on
        @staticmethod
        def perf_counter():
            return time.perf_counter() + 3600

    monkeypatch.setattr("smallcoder.agent.stream_stop.time", Late)
    with RunStore() as store:
        result = run_fix("mean() is wrong for [2, 4, 6]", example_repo, backend,
                         FixOptions(agent=AgentConfig(time_limit_s=600, max_empty_replies=1)), [store])
    assert result.status == "unresolved" and result.reason == "time limit of 600 s reached"
    assert backend.streamed == ["\n\n\n\n"]
