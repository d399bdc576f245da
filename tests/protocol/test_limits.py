"""Degenerate output (repetition loops, runaway tags) stays cheap to parse and short to report."""

import time

import pytest

from smallcoder.protocol import format_error_message, parse_tool_calls
from smallcoder.protocol.result import MAX_CALLS

DEGENERATE = {
    "xml_openers": "<function=" * 10000,
    "hermes_openers": "<tool_call>" * 10000,
    "mistral_markers": "[TOOL_CALLS]" * 10000,
    "lmstudio_openers": "[TOOL_REQUEST]" * 10000,
    "think_openers": "<think>" * 10000,
    "think_closers": "</think>" * 10000,
    "repeated_calls": '```json\n{"name": "run_tests", "arguments": {}}\n```\n' * 5000,
    "brackets": "[" * 100000,
    "name_keys": '{"name": ' * 10000,
}


@pytest.mark.parametrize("text", DEGENERATE.values(), ids=DEGENERATE.keys())
def test_degenerate_output_is_bounded(tools, text):
    start = time.perf_counter()
    result = parse_tool_calls(text, tools)
    assert time.perf_counter() - start < 1.0
    assert len(result.calls) + len(result.errors) <= MAX_CALLS
    assert format_error_message(result, tools, "hermes").count("\n") < 15
