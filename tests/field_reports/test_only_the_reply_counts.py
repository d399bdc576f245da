"""Class: only the reply counts.

Text after an end-of-turn marker (a stop token the server passed through, then an invented tool answer or
user turn) is not part of the reply: its calls never run. Calls drafted inside reasoning never run, also
when the opening tag was put in the prompt by the chat template and only the closing tag is in the reply.
Markers and reasoning tags inside a call's value are data. Every marker of the targeted models' templates
(reference/model-formats.md) and of the other families people run is tried, in every dialect.
"""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smallcoder.protocol import parse_tool_calls, render_tool_calls
from smallcoder.protocol.think import split_thinking
from smallcoder.protocol.turns import END_OF_TURN
from smallcoder.tools import default_tools, tool_specs
from smallcoder.types import ToolCall

DATA = Path(__file__).parent / "data"
TOOLS = tool_specs(default_tools())
READ = ToolCall("read_file", {"path": "src/stats.py"})
WRITE = ToolCall("write_file", {"path": "src/stats.py", "content": "def mean(values):\n    return 0\n"})
DIALECTS = ["hermes", "qwen3_xml", "mistral", "fenced_json", "bare_json", "lmstudio"]
REASONING = [("<think>", "</think>"), ("[THINK]", "[/THINK]"), ("<thinking>", "</thinking>")]
INVENTED_TURNS = {
    "<|im_end|>": "<|im_end|>\n<|im_start|>user\n<tool_response>\nok\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
    "</s>": "</s>[TOOL_RESULTS]ok[/TOOL_RESULTS][INST]go on[/INST]",
    "<|eot_id|>": "<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\nok<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
    "<end_of_turn>": "<end_of_turn>\n<start_of_turn>user\nok<end_of_turn>\n<start_of_turn>model\n",
}


def names(text: str, dialect: str | None) -> list[str]:
    return [c.name for c in parse_tool_calls(text, TOOLS, dialect).calls]


@pytest.mark.parametrize("dialect", ["hermes", None])
def test_field_case_invented_turn_after_im_end(dialect):
    result = parse_tool_calls((DATA / "stop-token-leak-hallucinated-turn.txt").read_text(), TOOLS, dialect)
    assert [(c.name, c.arguments) for c in result.calls] == [("read_file", {"path": "src/stats.py"})]


@pytest.mark.parametrize("dialect", ["qwen3_xml", None])
def test_field_case_draft_call_before_a_lone_think_closer(dialect):
    result = parse_tool_calls((DATA / "think-no-opener-draft-call-xml.txt").read_text(), TOOLS, dialect)
    assert [c.name for c in result.calls] == ["replace_in_file"]
    assert result.calls[0].arguments["new"] == "    return sum(values) / len(values)"


@pytest.mark.parametrize("marker", END_OF_TURN)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_call_after_any_end_of_turn_marker(marker, dialect):
    text = render_tool_calls([READ], dialect) + marker + "\n" + render_tool_calls([WRITE], dialect)
    assert names(text, dialect) == ["read_file"]
    assert names(text, None) == ["read_file"]


@pytest.mark.parametrize("leak", INVENTED_TURNS.values(), ids=INVENTED_TURNS.keys())
@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_call_from_an_invented_turn(leak, dialect):
    text = "Reading first.\n" + render_tool_calls([READ], dialect) + leak + render_tool_calls([WRITE], dialect)
    assert names(text, dialect) == ["read_file"]


@pytest.mark.parametrize(("opener", "closer"), REASONING)
@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("with_opener", [True, False], ids=["opened", "opener-in-prompt"])
def test_a_call_drafted_in_reasoning_never_runs(opener, closer, dialect, with_opener):
    draft = f"The quick way: {render_tool_calls([WRITE], dialect)}\nNo, that drops spread(). Read first."
    text = (opener if with_opener else "") + draft + closer + "\n" + render_tool_calls([READ], dialect)
    assert names(text, dialect) == ["read_file"]
    assert names(text, None) == ["read_file"]


@pytest.mark.parametrize(("opener", "closer"), REASONING)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_reasoning_alone_runs_nothing_and_says_why(opener, closer, dialect):
    result = parse_tool_calls(opener + "I will " + render_tool_calls([WRITE], dialect) + closer, TOOLS, dialect)
    assert result.calls == [] and "inside your reasoning" in result.errors[0]


@pytest.mark.parametrize("tag", [*END_OF_TURN, "<think>", "</think>", "[/THINK]"])
@pytest.mark.parametrize("dialect", ["hermes", "qwen3_xml", "mistral"])
def test_markers_inside_a_value_are_data(tag, dialect):
    content = f"TEMPLATE = '{{{{ content }}}}{tag}'\nEND = '{tag}'\n"
    call = ToolCall("write_file", {"path": "t.py", "content": content})
    result = parse_tool_calls(render_tool_calls([call], dialect) + "\n", TOOLS, dialect)
    assert [(c.name, c.arguments) for c in result.calls] == [("write_file", {"path": "t.py", "content": content})]


def test_an_echoed_header_of_the_own_turn_is_not_an_end():
    text = "<|im_start|>assistant\n" + render_tool_calls([READ], "hermes")
    assert names(text, "hermes") == ["read_file"]


def test_native_calls_keep_only_the_reply_text():
    result = parse_tool_calls("Reading.<|im_end|>\n<|im_start|>user\nmore", TOOLS, None, [READ])
    assert result.content == "Reading." and [c.name for c in result.calls] == ["read_file"]


def test_think_split_keeps_tags_inside_calls():
    text = '<tool_call>{"name": "write_file", "arguments": {"path": "a", "content": "</think>"}}</tool_call>'
    body, thoughts = split_thinking(text, [(0, len(text))])
    assert body == text and thoughts == ""


@settings(max_examples=120, deadline=None, derandomize=True)
@given(marker=st.sampled_from(END_OF_TURN), dialect=st.sampled_from(DIALECTS),
       tail=st.lists(st.sampled_from([render_tool_calls([WRITE], d) for d in DIALECTS] + ["text", "\n", "<think>"]),
                     max_size=4).map("".join))
def test_text_after_an_end_of_turn_marker_never_yields_a_call(marker, dialect, tail):
    head = "Let me look.\n" + render_tool_calls([READ], dialect)
    assert names(head + marker + tail, None) == ["read_file"]


# --- end to end: the fix pipeline with the field report's recorded replies ---------------------------------

STATS_SRC = ('"""Statistics helpers."""\n\n\ndef mean(values):\n    return sum(values) / (len(values) - 1)\n\n\n'
             'def spread(values):\n    return max(values) - min(values)\n')
TEST_SRC = ('import unittest, sys\nsys.path.insert(0, "src")\nfrom stats import mean\n\n\nclass T(unittest.TestCase):\n'
            '    def test_mean(self):\n        self.assertEqual(mean([2, 4, 6]), 4)\n')
FIX_XML = ("<tool_call>\n<function=replace_in_file>\n<parameter=path>\nsrc/stats.py\n</parameter>\n"
           "<parameter=old>\n(len(values) - 1)\n</parameter>\n<parameter=new>\nlen(values)\n</parameter>\n"
           "</function>\n</tool_call>")


def fix_with(tmp_path, outputs, dialect):
    import sys

    from smallcoder.agent.events import ToolExecuted
    from smallcoder.backends.scripted import ScriptedBackend
    from smallcoder.session.fix import FixOptions, run_fix

    from .conftest import make_repo

    repo = make_repo(tmp_path / "repo", {"src/stats.py": STATS_SRC, "test_stats.py": TEST_SRC})
    events: list[object] = []
    backend = ScriptedBackend(outputs=outputs, dialect=dialect)
    options = FixOptions(test_command=f"{sys.executable} -m unittest -q test_stats")
    result = run_fix("mean([2,4,6]) should be 4", repo, backend, options, [events.append])
    ran = [e.call.name for e in events if isinstance(e, ToolExecuted)]
    return result, ran, (Path(result.worktree) / "src" / "stats.py").read_text()


def test_end_to_end_the_draft_in_reasoning_never_runs_and_spread_survives(tmp_path):
    import json

    outputs = json.loads((DATA / "think-no-opener-draft-call-xml.json").read_text())
    result, ran, stats = fix_with(tmp_path, outputs, "qwen3_xml")
    assert ran == ["replace_in_file"] and result.status == "resolved", result.reason
    assert "def spread(values):" in stats and '"""Statistics helpers."""' in stats


def test_end_to_end_the_invented_turn_never_runs(tmp_path):
    import json

    leaked = json.loads((DATA / "stop-token-leak-hallucinated-turn.json").read_text())
    # The recorded reply, then what a model says next once it sees the real file.
    result, ran, stats = fix_with(tmp_path, [*leaked, FIX_XML], "hermes")
    assert "write_file" not in ran and ran[0] == "read_file"
    assert result.status == "resolved", result.reason
    assert "def spread(values):" in stats
