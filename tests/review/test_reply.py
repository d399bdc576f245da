"""read_list_reply: the list-mode reply read however a small model wraps it, and 'unparsable' only
when nothing can be read. The wrappings are the ones Qwen2.5-Coder 0.5B/1.5B write."""

import json

import pytest

from smallcoder.review import FindingError
from smallcoder.review.reply import finding_from_item, read_list_reply

ITEM = '{"file": "stats.py", "line": 15, "code": "return total(values) / count", "failure": "mean([]) raises ZeroDivisionError", "confidence": 0.9}'


def where(text):
    reply = read_list_reply(text)
    assert reply.parsed, text
    return [(f.path, f.start_line, f.end_line) for f in reply.findings]


@pytest.mark.parametrize("text", [
    f"[{ITEM}]",
    f"```json\n[{ITEM}]\n```",
    f"```\n[{ITEM}]\n```\nThis is the only bug I found: the guard was removed.",
    f"Here is the list:\n[{ITEM}]\nLet me know if you need more.",
    ITEM,  # one bare object instead of an array
    f"[{ITEM},]",  # trailing comma
    f"[\n  // the guard is gone\n  {ITEM}\n]",  # a comment
    ITEM.replace('"', "'"),  # Python quoting
])
def test_one_finding_however_it_is_wrapped(text):
    assert where(text) == [("stats.py", 15, 15)]


def test_objects_one_per_line_are_gathered():
    text = ITEM + "\n" + ITEM.replace('"line": 15', '"line": 16')
    assert where(text) == [("stats.py", 15, 15), ("stats.py", 16, 16)]


def test_an_array_cut_off_by_the_token_limit_keeps_its_whole_objects():
    assert where(f'[{ITEM}, {{"file": "stats.py", "line": 3, "failure": "f() ret') == [("stats.py", 15, 15)]


@pytest.mark.parametrize("text", ["[]", "```json\n[]\n```", "No defects found.", "The change looks correct.",
                                  "none", "done", "[ ]\nThe change is a pure refactoring."])
def test_nothing_found_is_read_as_an_empty_list(text):
    assert where(text) == []


@pytest.mark.parametrize("text", ["", "The division on line 15 is wrong.", "```python\nreturn x / y\n```",
                                  "I think { something } is off"])
def test_text_with_no_list_and_no_verdict_is_unparsable(text):
    reply = read_list_reply(text)
    assert not reply.parsed and reply.findings == []


def test_fields_under_other_names_and_odd_values():
    f = finding_from_item({"File": "./a.py", "line_number": "L12-14", "snippet": "x = 1",
                           "problem": "a(1)  returns\n None", "confidence": "80%"})
    assert (f.path, f.start_line, f.end_line, f.quote, f.confidence) == ("a.py", 12, 14, "x = 1", 0.8)
    assert f.scenario == "a(1) returns None" and f.title == f.scenario and f.severity == "high"
    g = finding_from_item({"file": "a.py", "line": [3, 5], "failure": "x", "code": ["not", "a string"]})
    assert (g.start_line, g.end_line, g.quote) == (3, 5, "")


def test_items_that_are_not_findings_are_reported_not_raised():
    reply = read_list_reply('[{"file": "a.py", "line": 2, "failure": "f() fails"}, "oops", {"line": 3}, {"file": "b.py"}]')
    assert reply.parsed and [f.path for f in reply.findings] == ["a.py"]
    assert len(reply.problems) == 3 and "not an object" in reply.problems[0] and "no path" in reply.problems[1]
    with pytest.raises(FindingError, match="positive"):
        finding_from_item({"file": "b.py"})


def test_the_answer_after_reasoning_is_read_not_the_brackets_in_the_reasoning():
    text = ("line 1604: old `+ len(widths)`, new `- len(widths)`: markup_chars is 2*len(widths) smaller.\n"
            "line 1579: `widths = len(self.field_names) * [0]` is unchanged, and `[]` is not returned.\n"
            f"```json\n[{ITEM}]\n```")
    assert where(text) == [("stats.py", 15, 15)]
    assert where("line 15: `x = [0]` → `x = [1]`, same.\n```json\n[]\n```") == []
    assert where(f"First {{'note': 1}}. Then: [{ITEM}]") == [("stats.py", 15, 15)]  # an array over objects


def test_items_the_model_marked_as_no_bug_are_skipped_not_counted_as_problems():
    text = json.dumps([
        {"file": "a.py", "line": 3, "change": "same", "bug": False, "failure": ""},
        {"file": "a.py", "line": 7, "change": "uses - instead of +", "bug": True, "failure": "f(2) returns 0 instead of 4"},
        {"file": "a.py", "line": 9, "change": "renamed", "bug": "no"},
        {"file": "a.py", "line": 11, "bug": "yes", "failure": "g() raises KeyError"},
    ])
    reply = read_list_reply(text)
    assert [f.start_line for f in reply.findings] == [7, 11] and reply.problems == []
    assert read_list_reply('[{"file": "a.py", "line": 3, "bug": false}]').findings == []


def test_old_and_new_results_make_the_scenario_and_equal_ones_are_no_bug():
    text = json.dumps([
        {"file": "t.py", "line": 179, "code": "self._padding_width = kwargs['padding_width'] or 1",
         "input": "PrettyTable(padding_width=0)", "old": "0", "new": "1", "confidence": 0.7},
        {"file": "t.py", "line": 190, "input": "x=[]", "old": "'a b'", "new": "\"a b\"."},  # the same result
        {"file": "t.py", "line": 195, "input": "x", "old": "True", "new": " true"},  # the same too
        {"file": "t.py", "line": 200, "input": "f(None)", "old": None, "new": "raises TypeError"},
    ])
    reply = read_list_reply(text)
    assert [(f.start_line, f.scenario) for f in reply.findings] == [
        (179, "with PrettyTable(padding_width=0), the new code gives 1 instead of 0"),
        (200, "with f(None), the new code gives raises TypeError instead of None")]
    assert reply.findings[0].quote.startswith("self._padding_width")


def test_case_and_spaces_inside_a_quoted_result_are_the_result():
    # '    ab' against 'ab    ' (padding) and 'AS' against 'as' (keyword case) are the bugs themselves.
    text = json.dumps([{"file": "t.py", "line": 5, "input": "_padleft(6, 'ab')", "old": "'    ab'", "new": "'ab    '"},
                       {"file": "t.py", "line": 9, "input": "f('x as y')", "old": "'AS'", "new": "'as'"}])
    assert [f.start_line for f in read_list_reply(text).findings] == [5, 9]


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_raw_line_break_inside_a_string_keeps_the_item(quote):
    broken = ITEM.replace("raises ZeroDivisionError", "raises\nZeroDivisionError").replace('"', quote)
    for text in (f"[{broken}]", f"```json\n[{broken}]\n```", broken):
        assert where(text) == [("stats.py", 15, 15)], text
        assert read_list_reply(text).findings[0].scenario == "mean([]) raises ZeroDivisionError"
