"""review_change on a real git change with the scripted backend, in agent mode: the agent turn, the
refusal of a finding the checks would drop, JSON salvage, and the verification pass. The list mode
(the default) is in test_session_list.py."""

from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.session.review import ReviewOptions, findings_in_text, git_diff, new_side_reader, review_change

from .scripts import REPORT, REPORT_UNCHANGED, SCENARIO


def run(repo, outputs, **options):
    backend = ScriptedBackend(outputs=outputs, context_window=8192)
    result = review_change(backend, repo, git_diff(repo, ref="HEAD~1"), new_side_reader(repo),
                           ReviewOptions(mode="agent", **options))
    return result, backend


def test_a_reported_defect_is_checked_verified_and_kept(repo):
    result, backend = run(repo, [REPORT, "done", "yes: count is 0 for an empty list"])
    (f,) = result.findings
    assert (f.path, f.start_line, f.severity, f.category) == ("stats.py", 15, "high", "bug")
    assert result.model_calls == 3 and result.unparsable == 0 and "1 finding" in result.summary
    task = backend.requests[0][1].content
    assert "   15 +     return total(values) / count" in task  # new-side numbers, + on added lines
    assert "   12   def mean(values):" in task  # the changed function, shown whole by the hunk itself
    assert "changed functions" not in task  # so not repeated
    assert "def total" in task  # the definition it uses, from the repo map
    assert "Check the claim" in backend.requests[2][0].content


def test_a_finding_on_an_unchanged_line_is_refused_and_the_model_corrects_it(repo):
    result, backend = run(repo, [REPORT_UNCHANGED, REPORT, "done"], verify=False)
    assert [f.start_line for f in result.findings] == [15]
    refusal = backend.requests[1][-1].content
    assert "finding not recorded: lines 6-6 were not changed" in refusal


def test_a_clean_verdict_posts_nothing(repo):
    result, _ = run(repo, ["The change looks correct. done"])
    assert result.findings == [] and result.model_calls == 1


def test_findings_written_as_json_prose_are_salvaged_and_checked(repo):
    prose = ('I found this: {"path": "stats.py", "line": 15, "quote": "return total(values) / count", '
             f'"scenario": "{SCENARIO}", "severity": "high"}} and {{"path": "stats.py", "line": 3, '
             '"scenario": "a made-up failure that raises nothing"}')
    result, _ = run(repo, [prose], verify=False)
    assert [(f.path, f.start_line) for f in result.findings] == [("stats.py", 15)]
    assert [d.reason for d in result.dropped] == ["lines 3-3 were not changed"]


def test_the_verification_pass_drops_what_the_model_does_not_confirm(repo):
    result, _ = run(repo, [REPORT, "done", "No. count is checked before."])
    assert result.findings == []
    assert result.dropped[0].reason.startswith("not confirmed on a second look: No.")


def test_findings_in_text_reads_finding_shaped_json_only():
    text = 'call: {"name": "report_finding", "arguments": {"path": "a.py", "line": 2, "scenario": "x"}}'
    assert [(f.path, f.start_line) for f in findings_in_text(text)] == [("a.py", 2)]  # the inner object
    assert findings_in_text('{"name": "search", "pattern": "x"} {"file": "a.py", "line": 0} {oops}') == []


def test_findings_in_text_reads_a_raw_line_break_inside_a_string():
    text = '{"path": "a.py", "line": 2, "scenario": "f()\nraises KeyError"}'
    assert [(f.path, f.scenario) for f in findings_in_text(text)] == [("a.py", "f()\nraises KeyError")]
