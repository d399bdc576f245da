"""The stuck detector on the patterns small models fall into."""

import pytest

from smallcoder.agent.stuck import StuckDetector
from smallcoder.errors import LimitsExceeded
from smallcoder.types import ToolCall


def call(name, **args):
    return ToolCall(name, args)


def test_same_call_same_result_warns_then_stops():
    d = StuckDetector()
    assert d.observe(call("read_file", path="a.py"), "x", True) is None
    assert "same arguments 2 times" in d.observe(call("read_file", path="a.py"), "x", True)
    d.observe(call("read_file", path="a.py"), "x", True)
    with pytest.raises(LimitsExceeded, match="read_file repeated 4 times"):
        d.observe(call("read_file", path="a.py"), "x", True)


def test_same_call_with_a_new_result_is_progress():
    d = StuckDetector()
    for i in range(6):
        assert d.observe(call("run_tests"), f"result {i}", True) is None


def test_alternating_pair_is_detected():
    d = StuckDetector()
    a, b = call("read_file", path="a.py"), call("search", pattern="mean")
    d.observe(a, "A", True)
    d.observe(b, "B", True)
    d.observe(a, "A", True)
    assert "alternated" in d.observe(b, "B", True)
    d.observe(a, "A", True)
    d.observe(b, "B", True)
    d.observe(a, "A", True)
    with pytest.raises(LimitsExceeded, match="alternating"):
        d.observe(b, "B", True)


def test_same_error_from_different_calls():
    d = StuckDetector()
    err = "Error: file x.py does not exist"
    d.observe(call("read_file", path="x.py"), err, False)
    assert "same error 2 times" in d.observe(call("read_file", path="./x.py"), err, False)


def test_failing_edits_suggest_another_shape_then_stop():
    d = StuckDetector()
    for i in range(2):
        d.observe(call("replace_in_file", path="a.py", old=f"o{i}", new="n"), f"Error: not found {i}", False, edits=True)
    assert "rewrite_function" in d.observe(call("replace_in_file", path="a.py", old="o2", new="n"), "Error: nf 2", False, edits=True)
    d.observe(call("replace_in_file", path="a.py", old="o3", new="n"), "Error: nf 3", False, edits=True)
    with pytest.raises(LimitsExceeded, match="5 failed edits"):
        d.observe(call("replace_in_file", path="a.py", old="o4", new="n"), "Error: nf 4", False, edits=True)


def test_a_successful_edit_resets_the_failure_count():
    d = StuckDetector()
    for i in range(4):
        d.observe(call("replace_in_file", path="a.py", old=f"o{i}", new="n"), f"Error: {i}", False, edits=True)
    d.observe(call("rewrite_function", path="a.py", code="def f(): pass"), "rewrote f", True, edits=True)
    assert d.observe(call("replace_in_file", path="a.py", old="z", new="n"), "Error: z", False, edits=True) is None
