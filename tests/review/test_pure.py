"""The pure review package on a real git diff: parsing, the checks, merging, ranking, formats."""

import json

import pytest

from smallcoder.errors import SmallcoderError
from smallcoder.review import Finding, check_findings, merge_duplicates, parse_diff, rank_and_cap, render
from smallcoder.review.checks import find_quote, scenario_is_concrete
from smallcoder.review.findings import FindingError

from .conftest import git

SCENARIO = "mean([]) raises ZeroDivisionError instead of returning 0.0"


def finding(**kw):
    base = dict(path="stats.py", start_line=14, end_line=15, severity="high", category="bug",
                title="empty list divides by zero", scenario=SCENARIO, quote="return total(values) / count",
                confidence=0.9)
    return Finding(**{**base, **kw})


@pytest.fixture
def diff(repo):
    return parse_diff(git(repo, "diff", "HEAD~1"))


@pytest.fixture
def read_new(repo):
    return lambda path: (repo / path).read_text() if (repo / path).is_file() else None


def test_parse_real_git_diff(diff, repo):
    (f,) = diff.files
    assert (f.path, f.status) == ("stats.py", "modified")
    lines = (repo / "stats.py").read_text().splitlines()
    assert [lines[n - 1].strip() for n in sorted(f.added_lines)] == ["count = len(values)",
                                                                     "return total(values) / count"]
    assert f.added_lines <= f.shown_lines
    assert parse_diff("").files == ()


def test_unreadable_diff_is_one_clear_error():
    with pytest.raises(SmallcoderError, match="cannot read the diff"):
        parse_diff("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-a\n")


def test_checks_keep_a_real_finding_and_say_why_others_go(diff, read_new):
    good = finding()
    unchanged = finding(start_line=4, end_line=4, quote="def total(values):", title="other")
    ghost = finding(quote="return sum(values) / len(values)", title="ghost")
    vague = finding(scenario="Consider adding error handling here for robustness.", title="vague")
    elsewhere = finding(path="other.py", title="elsewhere")
    kept, dropped = check_findings([good, unchanged, ghost, vague, elsewhere], diff, read_new)
    assert kept == [good]
    reasons = {d.finding.title: d.reason for d in dropped}
    assert reasons == {"other": "lines 4-4 were not changed", "ghost": "quotes code that is not in the file",
                       "vague": "states no concrete failure scenario", "elsewhere": "other.py is not part of the change"}


def test_a_miscounted_line_moves_to_its_quote(diff, read_new):
    (kept,), _ = check_findings([finding(start_line=2, end_line=2, path="b/stats.py")], diff, read_new)
    assert (kept.path, kept.start_line, kept.end_line) == ("stats.py", 15, 15)


def test_scenario_rule():
    assert scenario_is_concrete(SCENARIO)
    assert not scenario_is_concrete("Looks fine to me, nice work overall!")
    assert not scenario_is_concrete("raises")  # too short to be a scenario


def test_find_quote_ignores_indentation_and_blank_lines():
    text = "def f(x):\n    if x:\n\n        return 1\n"
    assert find_quote(text, "if x:\n  return 1") == [(2, 4)]
    assert find_quote(text, "return 2") == []
    assert find_quote(text, "f(x") == []  # too short to match part of a line
    assert find_quote(text, "def f(x") == [] and find_quote(text, "def f(x)") == [(1, 1)]


def test_find_quote_takes_single_and_double_quotes_alike():
    text = 'x = 1\nself._padding_width = kwargs["padding_width"] or 1\n'
    assert find_quote(text, "self._padding_width = kwargs['padding_width'] or 1") == [(2, 2)]
    assert find_quote(text, "self._padding_width = kwargs['padding'] or 1") == []


def test_find_quote_sets_aside_the_diff_marks_a_model_copies_with_the_code():
    text = "def w(self):\n    total = 0\n    total += width + pad + 1\n    return -total\n"
    assert find_quote(text, "+                     total += width + pad + 1") == [(3, 3)]
    assert find_quote(text, "    3 +     total += width + pad + 1") == [(3, 3)]
    assert find_quote(text, "-    total += width + pad") == [(3, 3)]  # part of a line, long enough
    assert find_quote(text, "-total") == []  # a leading minus with no space after it is code
    assert find_quote(text, "- total -= 1") == []


def test_duplicates_merge_and_rank_caps():
    a = finding(confidence=0.9)
    b = finding(confidence=0.6, title="division by zero on an empty list", start_line=15)
    style = finding(severity="low", category="style", start_line=14, end_line=14, title="name", confidence=0.9,
                    scenario="the name count shadows nothing but reads wrong, returns fine")
    merged = merge_duplicates([b, a, style])
    assert [f.title for f in merged] == [a.title, "name"] and merged[0].merged == 2
    assert [f.title for f in rank_and_cap(merged, limit=1)] == [a.title]
    assert rank_and_cap(merged, min_confidence=0.95) == []


def test_from_json_is_lenient_about_words_and_strict_about_places():
    f = Finding.from_json({"file": "./stats.py", "line": "15", "severity": "Error", "category": "test gap",
                           "scenario": SCENARIO, "confidence": 80})
    assert (f.path, f.start_line, f.end_line, f.severity, f.category, f.confidence) == \
        ("stats.py", 15, 15, "high", "test_gap", 0.8)
    with pytest.raises(FindingError, match="no path"):
        Finding.from_json({"line": 3})
    with pytest.raises(FindingError, match="not a number"):
        Finding.from_json({"path": "a.py", "line": "three"})


def test_formats():
    f = finding(suggestion="    return total(values) / count if count else 0.0")
    text = render([f], "text")
    assert text.splitlines()[0] == "stats.py:14-15: high bug: empty list divides by zero"
    assert render([], "text") == "no findings"
    data = json.loads(render([f], "json"))
    assert Finding.from_json(data["findings"][0]) == f
    rd = json.loads(render([f], "rdjson"))
    (d,) = rd["diagnostics"]
    assert d["location"] == {"path": "stats.py", "range": {"start": {"line": 14}, "end": {"line": 15}}}
    assert d["severity"] == "ERROR" and d["suggestions"][0]["text"].endswith("else 0.0\n")
    sarif = json.loads(render([f], "sarif"))
    assert sarif["version"] == "2.1.0"
    (r,) = sarif["runs"][0]["results"]
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"] == "bug" and r["level"] == "error"
    assert r["locations"][0]["physicalLocation"]["region"] == {"startLine": 14, "endLine": 15}
    assert r["partialFingerprints"] == json.loads(render([finding(confidence=0.1)], "sarif"))[
        "runs"][0]["results"][0]["partialFingerprints"]
    with pytest.raises(SmallcoderError, match="unknown format"):
        render([f], "yaml")


def test_the_example_call_comes_from_the_function_around_the_change():
    from smallcoder.session.review_context import example_call
    text = ("def mean(values, *, empty=0.0):\n    return 1\n\n"
            "class Table:\n    def width(self, rows, pad=1):\n        return 2\n\n    x = 3\n")
    assert example_call(text, 2) == "mean(values)"
    assert example_call(text, 6) == "Table().width(rows, pad)"
    assert example_call(text, 8) == ""  # in the class, outside any method
    assert example_call("def broken(:\n", 1) == ""


def test_find_quote_matches_a_wrapped_statement_quoted_on_one_line():
    text = ("def f(width, table_width, markup):\n"
            "    scale = (width - markup) / (\n"
            "        table_width - markup\n"
            "    )\n"
            "    return scale\n")
    one_line = "+    scale = (width - markup) / (table_width - markup)"  # as Qwen2.5-Coder copied it
    assert find_quote(text, one_line) == [(2, 4)]
    assert find_quote(text, 'scale = (width - markup) / (table_width - "markup")') == []  # not the same code
    assert find_quote(text, "return  scale") == [(5, 5)]  # spacing inside a line is ignored too


def test_a_change_that_only_deletes_is_reviewed_at_the_lines_around_the_removal(repo_deletion):
    diff = parse_diff(git(repo_deletion, "diff", "HEAD~1"))
    (f,) = diff.reviewable  # no added line, still a change to review
    assert f.added_lines == frozenset()
    (h,) = f.hunks
    (r,) = h.removals
    lines = (repo_deletion / "stats.py").read_text().splitlines()
    assert r.code == "    if not values:\n        return 0.0\n"
    # the nearest lines that run: the docstring above the guard never does
    assert [lines[n - 1].strip() for n in (r.above, r.below)] == ["def mean(values):",
                                                                  "return total(values) / len(values)"]
    assert f.touched_lines == {r.above, r.below} and r.anchor == r.below

    def read_new(path):
        return (repo_deletion / path).read_text()
    # Small models quote the deleted guard (shown as `-` lines) and miscount: the finding goes below it.
    quoting_removed = finding(start_line=13, end_line=14, quote="if not values:\n    return 0.0")
    on_neighbour = finding(start_line=r.below, end_line=r.below, quote="return total(values) / len(values)")
    unrelated = finding(start_line=4, end_line=4, quote="def total(values):", title="other")
    kept, dropped = check_findings([quoting_removed, on_neighbour, unrelated], diff, read_new)
    assert [(k.start_line, k.end_line) for k in kept] == [(r.below, r.below)] * 2
    assert [d.reason for d in dropped] == ["lines 4-4 were not changed"]


def test_a_replaced_line_is_no_pure_removal():
    text = ("diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,4 +1,3 @@\n a = 1\n-b = 2\n-c = 3\n+b = 4\n"
            " d = 5\n")
    (h,) = parse_diff(text).files[0].hunks
    assert h.removals == () and h.touched == h.added == {2}
    at_end = "--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,2 @@\n a = 1\n b = 2\n-c = 3\n"
    (h,) = parse_diff(at_end).files[0].hunks
    (r,) = h.removals
    assert (r.above, r.below, r.anchor) == (2, None, 2)


def test_a_removal_is_anchored_on_the_nearest_code_not_a_blank_line_or_docstring():
    text = ("--- a/m.py\n+++ b/m.py\n@@ -1,9 +1,7 @@\n def f(cache=None):\n     \"\"\"Doc.\"\"\"\n"
            "-    if cache is None:\n-        cache = {}\n \n     # the memo\n     try:\n         return cache[1]\n"
            "     except KeyError:\n")
    (h,) = parse_diff(text).files[0].hunks
    (r,) = h.removals
    assert (r.above, r.below, r.anchor) == (1, 5, 5)  # `def f`, then `try:` past the blank line and the comment
    assert h.touched == {1, 5}
    only_blank = "--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,2 @@\n x = 1\n-y = 2\n \n"
    (r,) = parse_diff(only_blank).files[0].hunks[0].removals
    assert (r.above, r.below) == (1, 2)  # nothing but a blank below: the blank line it is


def test_deleted_and_emptied_files_are_counted_as_not_reviewable():
    text = ("diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n"
            "-a = 1\n-b = 2\ndiff --git a/empty.py b/empty.py\n--- a/empty.py\n+++ b/empty.py\n@@ -1 +0,0 @@\n-c = 3\n")
    diff = parse_diff(text)
    assert diff.reviewable == () and [f.path for f in diff.unreviewable] == ["gone.py", "empty.py"]


def test_clip_cuts_at_a_word():
    from smallcoder.review.probe import clip
    assert clip("short", 10) == "short"
    assert clip("runs only when `N == 1 and isinstance(seqs[0], list)`", 30) == "runs only when `N == 1 and…"
