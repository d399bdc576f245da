"""The project's own tests as review evidence: which tests pass before a change and fail after it.

A test suite is the cheapest reviewer a change has: a test that passed on the base commit and fails
with the change applied is a concrete failure scenario that no model had to imagine. The suite runs
once on the new version under pytest with a small plugin (PLUGIN) that traces, per test, which of the
changed lines ran; only the tests that failed there run again on the old version; those that pass
there are broken by the change. Each becomes a finding on the changed lines it ran last before
failing (the statement most likely to have produced the wrong value).

    plugin = plugin_source({"src/pkg/mod.py": {12, 13}})      # written next to the tree, `-p` loads it
    failures = read_failures(output_of_running_pytest)         # {nodeid: Failure}
    findings = broken_test_findings(new_failures, old_failures_of_those, diff, read_new)

Only pytest is driven (unittest suites run under pytest too); the plugin reports failures only, one
line each as they happen, so a suite cut short by its time limit still reports what failed so far.
"""

from __future__ import annotations

import ast
import json
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.review.diff import ReviewDiff
from smallcoder.review.findings import Finding
from smallcoder.review.probe import clip

PLUGIN_MODULE = "_smallcoder_review_tests"  # written at the copy's top: `python -m pytest` puts it on sys.path
MARK = "@@smallcoder-test@@"
DONE = "@@smallcoder-tests-done@@"
MAX_MESSAGE = 300  # characters of a failure's message kept in a finding
MAX_NAMED = 3  # tests named in one finding's text
REACH = 3  # passing tests kept per changed line: examples of how to run it
MAX_EXAMPLE_LINES = 40
EVIDENCE = "(the project's tests, run by smallcoder)"  # ends such a finding's scenario

# The plugin is plain Python run by the project's interpreter (any 3.8+), so it uses nothing of ours.
_PLUGIN = r'''
import json, sys
import pytest
TRACE = {trace!r}  # repository-relative path -> changed line numbers to watch for
_files = {{}}  # co_filename -> (path, lines) or None
_ran = []  # (path, line) in the order they first ran, for the test being run
_failed = {{}}
_reach = {{}}  # "path:line" -> the first passing tests that ran it (at most {reach})
def _target(filename):
    if filename not in _files:
        name = filename.replace("\\", "/")
        _files[filename] = next(((p, set(ls)) for p, ls in TRACE.items() if name.endswith("/" + p)), None)
    return _files[filename]
def _tracer(frame, event, arg):
    target = _target(frame.f_code.co_filename)
    if target is None:
        return None
    path, lines = target
    def local(frame, event, arg):
        if event == "line" and frame.f_lineno in lines:
            ran = (path, frame.f_lineno)
            if ran in _ran:
                _ran.remove(ran)
            _ran.append(ran)
        return local
    return local
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    del _ran[:]
    if TRACE:
        sys.settrace(_tracer)
    try:
        yield
    finally:
        sys.settrace(None)
def _message(report):
    text = getattr(report, "longreprtext", "") or ""
    errors = [l[1:].strip() for l in text.splitlines() if l.startswith("E ")]
    lines = errors or [l.strip() for l in text.splitlines() if l.strip()]
    return " / ".join(lines[:3]) if errors else (lines[-1] if lines else "")
def _emit(nodeid, when, report):
    if nodeid in _failed:
        return
    _failed[nodeid] = 1
    ran = list(_ran) if when == "call" else []
    sys.__stdout__.write("\n" + {mark!r} + json.dumps({{"test": nodeid, "when": when, "message": _message(report)[:2000],
                                                 "ran": ran}}) + "\n")
    sys.__stdout__.flush()
def pytest_runtest_logreport(report):
    if report.failed:
        _emit(report.nodeid, report.when, report)
    elif report.when == "call" and report.passed:
        for path, line in _ran:
            tests = _reach.setdefault("%s:%d" % (path, line), [])
            if len(tests) < {reach}:
                tests.append(report.nodeid)
def pytest_collectreport(report):
    if report.failed:
        _emit(report.nodeid or "<collection>", "collect", report)
def pytest_sessionfinish(session, exitstatus):
    sys.__stdout__.write("\n" + {done!r} + json.dumps({{"collected": session.testscollected,
                                                 "failed": session.testsfailed, "reach": _reach}}) + "\n")
    sys.__stdout__.flush()
'''


@dataclass(frozen=True)
class Failure:
    """One test that failed: its pytest node id, the phase ("setup", "call", "teardown", "collect"),
    the failure's `E` lines (or its last line), and the changed (path, line)s it ran, oldest first."""

    test: str
    when: str
    message: str
    ran: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class SuiteRun:
    """What a run of the suite under the plugin reported. finished: it reached its end (not killed by
    the time limit or a crash); collected/failed: pytest's own counts (0 when not finished)."""

    failures: dict[str, Failure]
    finished: bool
    collected: int = 0
    failed: int = 0
    reach: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict)  # (path, line) → passing tests


def plugin_source(trace: Mapping[str, set[int] | frozenset[int]]) -> str:
    """The plugin module's text, watching `trace` (repository-relative path → new-side line numbers)."""
    return _PLUGIN.format(trace={p: sorted(ls) for p, ls in trace.items()}, mark=MARK, done=DONE, reach=REACH)


def read_suite(output: str) -> SuiteRun:
    """The plugin's reports in pytest's `output` (other output is ignored; a malformed line is skipped)."""
    failures: dict[str, Failure] = {}
    finished, counts = False, {}
    for line in output.splitlines():
        if line.startswith(MARK):
            try:
                data = json.loads(line[len(MARK):])
                if not isinstance(data, dict):
                    continue
                ran = tuple((str(p), int(n)) for p, n in data.get("ran") or ())
                failures[str(data["test"])] = Failure(str(data["test"]), str(data.get("when", "call")),
                                                      " ".join(str(data.get("message", "")).split()), ran)
            except (ValueError, KeyError, TypeError):
                continue
        elif line.startswith(DONE):
            finished = True
            try:
                counts = json.loads(line[len(DONE):])
            except ValueError:
                counts = {}
            counts = counts if isinstance(counts, dict) else {}
    reach: dict[tuple[str, int], tuple[str, ...]] = {}
    reached = counts.get("reach")
    for key, tests in reached.items() if isinstance(reached, dict) else ():
        path, _, line = str(key).rpartition(":")
        if line.isdigit() and isinstance(tests, list):
            reach[(path, int(line))] = tuple(str(t) for t in tests)
    return SuiteRun(failures, finished, int(counts.get("collected") or 0), int(counts.get("failed") or 0), reach)


def traced_lines(diff: ReviewDiff) -> dict[str, frozenset[int]]:
    """The new-side lines of each changed Python file worth watching: the added ones and, for a
    deletion, the line the removed code's findings are anchored on (review.diff Hunk.removals)."""
    trace: dict[str, frozenset[int]] = {}
    for f in diff.reviewable:
        if not f.path.endswith(".py"):
            continue
        lines = set(f.added_lines)
        for h in f.hunks:
            lines.update(r.anchor for r in h.removals if r.anchor)
        if lines:
            trace[f.path] = frozenset(lines)
    return trace


def broken_test_findings(broken: list[Failure], diff: ReviewDiff,
                         read_new: Callable[[str], str | None]) -> list[Finding]:
    """One finding per place where tests broken by the change last ran changed code.

    broken: failures on the new version of tests that passed on the old one. The place is the run of
    consecutive watched lines holding the last changed line the test ran; a test that ran none (it
    failed at import or collection, or in code the trace cannot see) goes on the first watched line
    of the change. Findings are ordered as the tests were."""
    trace = traced_lines(diff)
    if not trace or not broken:
        return []
    first = next(iter(trace.items()))
    places: dict[tuple[str, int, int], list[Failure]] = {}
    for failure in broken:
        path, line = failure.ran[-1] if failure.ran else (first[0], min(first[1]))
        start, end = _group(trace.get(path, frozenset({line})), line)
        places.setdefault((path, start, end), []).append(failure)
    return [_finding(path, start, end, tests, read_new) for (path, start, end), tests in places.items()]


def _group(lines: frozenset[int], line: int) -> tuple[int, int]:
    """The run of consecutive numbers in `lines` that holds `line`."""
    start = end = line
    while start - 1 in lines:
        start -= 1
    while end + 1 in lines:
        end += 1
    return start, end


def _finding(path: str, start: int, end: int, tests: list[Failure],
             read_new: Callable[[str], str | None]) -> Finding:
    source = (read_new(path) or "").splitlines()
    quote = next((source[n - 1].strip() for n in range(start, end + 1)
                  if 0 < n <= len(source) and source[n - 1].strip()), "")
    named = ", ".join(f"`{t.test}`" for t in tests[:MAX_NAMED]) + (
        f" and {len(tests) - MAX_NAMED} more" if len(tests) > MAX_NAMED else "")
    one = len(tests) == 1
    how = ("fails" if one else "fail") + (f" at {tests[0].when}" if tests[0].when != "call" else "")
    message = clip(tests[0].message, MAX_MESSAGE)
    scenario = (f"{named} {'passes' if one else 'pass'} before this change and {how} after it"
                + (f": {message}" if message else "") + " " + EVIDENCE)
    short = tests[0].test.rsplit("::", 1)[-1]
    title = f"breaks `{short}`" + (f" and {len(tests) - 1} more test{'s' * (len(tests) > 2)}" if len(tests) > 1 else "")
    # A test's verdict is observed, not guessed: no confidence filter is meant for it.
    return Finding(path, start, end, "high", "bug", title[:100], scenario, quote=quote, confidence=1.0)


def source_of_test(tree: Path, test: str) -> str:
    """The source of the test function a pytest node id names ("tests/t.py::Class::test_x[1]"), without
    decorators, dedented; "" when it cannot be found or is longer than MAX_EXAMPLE_LINES."""
    parts = test.split("[", 1)[0].split("::")
    try:
        source = (tree / parts[0]).read_text(encoding="utf-8", errors="replace")
        body: list[ast.stmt] = ast.parse(source).body
    except (OSError, SyntaxError, ValueError):
        return ""
    node: ast.AST | None = None
    for name in parts[1:]:
        node = next((n for n in body if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                     and n.name == name), None)
        if node is None:
            return ""
        body = node.body  # type: ignore[attr-defined]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ""
    lines = source.splitlines()[node.lineno - 1:node.end_lineno]
    return textwrap.dedent("\n".join(lines)) if len(lines) <= MAX_EXAMPLE_LINES else ""


def example_test(tree: Path, reach: Mapping[tuple[str, int], tuple[str, ...]], path: str, lines: range) -> str:
    """The shortest source of a passing test that ran one of `lines` of `path` (or, failing that, a
    changed line next to them), for a model to build its own call on; "" when none did."""
    tests = [t for n in lines for t in reach.get((path, n), ())]
    if not tests:
        near = {n for n in range(lines.start - 3, lines.stop + 3)}
        tests = [t for (p, n), ts in reach.items() if p == path and n in near for t in ts]
    sources = [s for s in dict.fromkeys(source_of_test(tree, t) for t in tests) if s]
    return min(sources, key=len) if sources else ""
