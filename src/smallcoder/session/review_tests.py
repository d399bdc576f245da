"""Running the project's tests on both versions of a reviewed change (the logic is in review/testrun.py).

    evidence = run_tests(prober, diff, read_new, timeout=120)
    evidence.findings, evidence.note, evidence.example("pkg/mod.py", range(12, 14))

The suite runs under pytest in the new copy's sandbox (session/review_probe.Prober), tracing the
changed lines; the tests that failed run again on the old copy, and those that pass there run once
more on the new one (a test that fails only now and then is not the change's fault). What is left
passed before and fails after: each becomes a finding (review.testrun.broken_test_findings).
`note` is one line for the summary: how many tests ran and broke, or why none could run. The passing
tests that ran a changed line are kept too: a model asked for a call that reaches that line is shown
the shortest of them to build on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from smallcoder.repomap.files import list_files
from smallcoder.repomap.testpaths import is_test_path
from smallcoder.review.diff import ReviewDiff
from smallcoder.review.findings import Finding
from smallcoder.review.probe import clip
from smallcoder.review.testrun import (
    PLUGIN_MODULE,
    Failure,
    broken_test_findings,
    example_test,
    plugin_source,
    read_suite,
    traced_lines,
)
from smallcoder.session.review_probe import Prober

# -o addopts=: a project's own options (coverage, xdist's -n, …) can need plugins the copy lacks, and
# its output must stay pytest's; a test that needs them fails on both sides, which is no finding.
PYTEST = ["python", "-m", "pytest", "-q", "--tb=short", "--no-header", "-p", "no:cacheprovider",
          "-o", "addopts=", "-p", PLUGIN_MODULE]
MAX_RERUN = 50  # failing tests run again on the old side; past that the change broke the suite wholesale


@dataclass
class TestEvidence:
    """What running the project's tests gave a review. findings: tests broken by the change. note: one
    line for the summary ("" when there was nothing to run). reach: (path, new-side line) → passing
    tests that ran it. tree: the changed copy the tests ran in (where their sources can be read)."""

    findings: list[Finding] = field(default_factory=list)
    note: str = ""
    reach: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict)
    tree: Path | None = None

    def example(self, path: str, lines: range) -> str:
        """The shortest passing test that runs `lines` of `path` (review.testrun.example_test), or ""."""
        return example_test(self.tree, self.reach, path, lines) if self.tree else ""


def run_tests(prober: Prober, diff: ReviewDiff, read_new: Callable[[str], str | None], *,
              timeout: float) -> TestEvidence:
    """The project's tests on both versions: those that pass on the old version and fail on the new one,
    as findings on the changed lines they ran, and which passing tests run which changed line.
    `timeout`: seconds for the whole suite on the new side (the reruns get the same). Never raises
    for the project's failures: they end up in the note."""
    trace = traced_lines(diff)
    if not trace:
        return TestEvidence()
    targets = _test_targets(prober.repo)
    if not targets:
        return TestEvidence()  # nothing to run: the summary says nothing
    plugin = {f"{PLUGIN_MODULE}.py": plugin_source(trace)}
    quiet = {f"{PLUGIN_MODULE}.py": plugin_source({})}
    new = prober.run_in("new", [*PYTEST, *targets], plugin, timeout=timeout)
    if new is None:
        return TestEvidence(note=f"tests not run: {prober.problem}")
    suite = read_suite(new.output)
    if "No module named pytest" in new.output and not suite.failures:
        return TestEvidence(note="tests not run: the project's environment has no pytest")
    if not suite.finished and not suite.failures and not new.timed_out:  # pytest itself failed: config, plugins
        last = next((line.strip() for line in reversed(new.output.splitlines()) if line.strip()), "no output")
        return TestEvidence(note=f"tests not run: pytest stopped: {clip(last, 160)}")
    evidence = TestEvidence(reach=suite.reach, tree=prober.tree("new"))
    cut = "" if suite.finished else f" (stopped after {timeout:g} s)" if new.timed_out else " (the run did not finish)"
    failing = [f for f in suite.failures.values() if f.test != "<collection>"][:MAX_RERUN]
    if not failing:
        evidence.note = f"{suite.collected} tests ran, none broken{cut}" if suite.finished else f"tests: no failures{cut}"
        return evidence
    old = prober.run_in("old", [*PYTEST, *[f.test for f in failing]], quiet, timeout=timeout)
    if old is None or not read_suite(old.output).finished:
        evidence.note = f"{len(failing)} tests fail after the change; the old version could not be run to compare"
        return evidence
    before = read_suite(old.output).failures
    candidates = [f for f in failing if f.test not in before and not _collect_failed(f.test, before)]
    broken = _confirmed(prober, candidates, plugin, timeout)
    already = len(failing) - len(candidates)
    evidence.note = (f"{suite.collected or 'the'} tests ran{cut}, {len(broken) or 'none'} broken by the change"
                     + (f" ({already} failing before it too)" if already else ""))
    evidence.findings = broken_test_findings(broken, diff, read_new)
    return evidence


def _confirmed(prober: Prober, candidates: list[Failure], plugin: dict[str, str], timeout: float) -> list[Failure]:
    """Those of `candidates` that fail again on the new side (its failure of this run is the one kept)."""
    if not candidates:
        return []
    again = prober.run_in("new", [*PYTEST, *[f.test for f in candidates]], plugin, timeout=timeout)
    if again is None:
        return []
    failed = read_suite(again.output).failures
    return [failed.get(f.test, f) for f in candidates if f.test in failed]


def _collect_failed(test: str, before: dict[str, Failure]) -> bool:
    """Did the old run fail to collect the file of `test` (then the test never ran there: no comparison)?"""
    return test.split("::", 1)[0] in before


def _test_targets(repo: Path) -> list[str]:
    """What to give pytest: the top folders holding the repository's Python test files, and test files
    at the top itself; [] when there are none."""
    targets: set[str] = set()
    for path in list_files(repo):
        if path.endswith(".py") and is_test_path(path):
            parts = PurePosixPath(path).parts
            targets.add(parts[0])
    return sorted(targets)
