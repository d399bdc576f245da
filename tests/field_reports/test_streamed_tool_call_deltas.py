"""Class: streamed tool-call deltas, assembled the way real servers send them.

Fragments without `index` continue the call being streamed; a name (or id) re-sent in every delta is set
once; ids arrive late; arguments are split anywhere, inside an escape or between the two halves of a
surrogate pair; a whole arguments text re-sent at the end is kept once; parallel calls all sent with
index 0 are told apart by their ids. Chunks go through the openai client's own model construction, as
in a real streamed response.
"""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai._models import construct_type
from openai.types.chat import ChatCompletionChunk

from smallcoder.backends.openai_stream import read_stream
from smallcoder.backends.stream_clock import StreamClock

FIELD = Path(__file__).parent / "data"


def chunk(delta: dict, finish: str | None = None) -> ChatCompletionChunk:
    payload = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "local",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return construct_type(type_=ChatCompletionChunk, value=payload)


def assemble(frags: list[dict]) -> list[tuple[str, dict, str]]:
    chunks = [chunk({"tool_calls": [f]}) for f in frags] + [chunk({}, "tool_calls")]
    return [(c.name, c.arguments, c.id) for c in read_stream(chunks, StreamClock()).tool_calls]


def utf16_pieces(text: str, cuts: list[int]) -> list[str]:
    """`text` cut at UTF-16 code-unit positions: a cut inside an astral character leaves each half a lone
    surrogate, which is what a JSON decoder makes of "\\ud83d" and "\\ude00" arriving in separate chunks."""
    units = text.encode("utf-16-le", "surrogatepass")
    bounds = sorted({0, len(units) // 2, *(c % (len(units) // 2 + 1) for c in cuts)})
    return [units[a * 2:b * 2].decode("utf-16-le", "surrogatepass") for a, b in zip(bounds, bounds[1:])]


def test_fragments_without_index_continue_the_call():
    frags = [{"id": "call_0", "type": "function", "function": {"name": "read_file", "arguments": ""}},
             {"function": {"arguments": '{"path": '}}, {"function": {"arguments": '"stats.py"}'}}]
    assert assemble(frags) == [("read_file", {"path": "stats.py"}, "call_0")]


def test_the_recorded_field_case():
    payloads = json.loads((FIELD / "stream-missing-index.json").read_text())
    chunks = [construct_type(type_=ChatCompletionChunk, value=p) for p in payloads]
    calls = read_stream(chunks, StreamClock()).tool_calls
    assert [(c.name, c.arguments) for c in calls] == [("read_file", {"path": "src/stats.py"})]


def test_a_name_re_sent_in_every_delta_is_set_once():
    frags = [{"index": 0, "id": "c", "function": {"name": "read_file", "arguments": '{"pa'}},
             {"index": 0, "function": {"name": "read_file", "arguments": 'th": "a.py"}'}}]
    assert assemble(frags) == [("read_file", {"path": "a.py"}, "c")]


def test_a_late_id_and_an_id_re_sent_every_time():
    frags = [{"index": 0, "function": {"name": "read_file", "arguments": '{"path"'}},
             {"index": 0, "id": "late", "function": {"arguments": ': "a.py"'}},
             {"index": 0, "id": "late", "function": {"arguments": "}"}}]
    assert assemble(frags) == [("read_file", {"path": "a.py"}, "late")]


def test_whole_arguments_re_sent_at_the_end_are_kept_once():
    frags = [{"index": 0, "id": "c", "function": {"name": "read_file", "arguments": '{"path": '}},
             {"index": 0, "function": {"arguments": '"a.py"}'}},
             {"index": 0, "function": {"arguments": '{"path": "a.py"}'}}]
    assert assemble(frags) == [("read_file", {"path": "a.py"}, "c")]


def test_parallel_calls_all_at_index_0_are_told_apart_by_id():
    frags = [{"index": 0, "id": "a", "function": {"name": "read_file", "arguments": '{"path": "a.py"}'}},
             {"index": 0, "id": "b", "function": {"name": "read_file", "arguments": '{"path": "b.py"}'}}]
    assert assemble(frags) == [("read_file", {"path": "a.py"}, "a"), ("read_file", {"path": "b.py"}, "b")]


def test_parallel_calls_without_index_or_ids_are_told_apart_by_name():
    frags = [{"function": {"name": "read_file", "arguments": '{"path": "a.py"}'}},
             {"function": {"name": "list_files", "arguments": '{}'}},
             {"function": {"name": "read_file", "arguments": '{"path": "b.py"}'}}]
    assert [(n, a) for n, a, _ in assemble(frags)] == [
        ("read_file", {"path": "a.py"}), ("list_files", {}), ("read_file", {"path": "b.py"})]


def test_interleaved_indexed_calls():
    frags = [{"index": 0, "id": "a", "function": {"name": "read_file", "arguments": '{"path": '}},
             {"index": 1, "id": "b", "function": {"name": "read_file", "arguments": '{"path": '}},
             {"index": 1, "function": {"arguments": '"b.py"}'}},
             {"index": 0, "function": {"arguments": '"a.py"}'}}]
    assert assemble(frags) == [("read_file", {"path": "a.py"}, "a"), ("read_file", {"path": "b.py"}, "b")]


def test_arguments_sent_as_an_object():
    frags = [{"index": 0, "id": "c", "function": {"name": "read_file", "arguments": {"path": "a.py"}}}]
    assert assemble(frags) == [("read_file", {"path": "a.py"}, "c")]


values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ['say "hi"\\n', "é—😀𝄞", "\\u00e9 \\ud83d", "</tool_call>", "{\"nested\": [1, 2]}", ""])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    args=st.dictionaries(st.sampled_from(["path", "old", "new", "content"]), values, min_size=1, max_size=3),
    ascii_escapes=st.booleans(), cuts=st.lists(st.integers(0, 400), max_size=8),
    with_index=st.booleans(), name_every_time=st.booleans(), id_when=st.sampled_from(["first", "late", "every"]),
    resend_whole=st.booleans(),
)
def test_any_split_assembles_to_the_same_call(args, ascii_escapes, cuts, with_index, name_every_time, id_when,
                                              resend_whole):
    text = json.dumps(args, ensure_ascii=ascii_escapes)
    pieces = utf16_pieces(text, cuts)
    frags = []
    for i, piece in enumerate(pieces):
        frag: dict = {"function": {"arguments": piece}}
        if with_index:
            frag["index"] = 0
        if i == 0 or name_every_time:
            frag["function"]["name"] = "write_file"
        if (id_when == "first" and i == 0) or (id_when == "late" and i == len(pieces) - 1) or id_when == "every":
            frag["id"] = "call_7"
        frags.append(frag)
    if resend_whole:
        frags.append({**({"index": 0} if with_index else {}), "function": {"arguments": text}})
    assert assemble(frags) == [("write_file", args, "call_7")]


@pytest.mark.parametrize("cut", range(0, 12))
def test_an_emoji_split_between_its_surrogate_halves(cut):
    text = json.dumps({"content": "x😀y"}, ensure_ascii=False)
    assert assemble([{"index": 0, "id": "c", "function": {"name": "write_file", "arguments": p}}
                     for p in utf16_pieces(text, [cut])]) == [("write_file", {"content": "x😀y"}, "c")]
