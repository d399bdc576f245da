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
from dataclasses import dataclass, field, replace
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
PYTEST_CONFIGS = ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


@dataclass
class TestEvidence:
    """What running the project's tests gave a review. findings: tests broken by the change. note: one
    line for the summary ("" when there was nothing to run). reach: (path, new-side line) → passing
    tests that ran it. tree: the changed copy the tests ran in (where their sources can be read)."""

    findings: list[Finding] = field(default_factory=list)
    note: str = ""
    reach: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict)
    tree: Path | None = None
    unplaced: int = 0  # broken tests with no changed line to put them on (the note names the first)

    def example(self, path: str, lines: range) -> str:
        """The shortest passing test that runs `lines` of `path` (review.testrun.example_test), or ""."""
        return example_test(self.tree, self.reach, path, lines) if self.tree else ""


def run_tests(prober: Prober, diff: ReviewDiff, read_new: Callable[[str], str | None], *,
              timeout: float) -> TestEvidence:
    """The project's tests on both versions: those that pass on the old version and fail on the new one,
    as findings on the changed lines they ran, and which passing tests run which changed line.
    `timeout`: seconds for the whole suite on the new side (the reruns get the same). Never raises
    for the project's failures: they end up in the note."""
    if not diff.files:
        return TestEvidence()
    targets = _test_targets(prober.repo)
    if targets is None:
        return TestEvidence()  # no tests: the summary says nothing
    plugin = {f"{PLUGIN_MODULE}.py": plugin_source(traced_lines(diff))}
    quiet = {f"{PLUGIN_MODULE}.py": plugin_source({})}
    new = prober.run_in("new", [*PYTEST, *targets], plugin, timeout=timeout)
    if new is None:
        return TestEvidence(note=f"not run: {prober.problem}")
    suite = read_suite(new.output)
    if "No module named pytest" in new.output and not suite.failures:
        return TestEvidence(note="not run: the project's environment has no pytest")
    if not suite.finished and not suite.failures and not new.timed_out:  # pytest itself failed: config, plugins
        last = next((line.strip() for line in reversed(new.output.splitlines()) if line.strip()), "no output")
        return TestEvidence(note=f"not run: pytest stopped: {clip(_masked(last, prober), 160)}")
    evidence = TestEvidence(reach=suite.reach, tree=prober.tree("new"))
    if new.timed_out:
        _hang(prober, evidence, diff, read_new, [*PYTEST, *targets], quiet, timeout)
        if evidence.findings:
            return evidence
    cut = "" if suite.finished else f" (stopped after {timeout:g} s)" if new.timed_out else " (the run did not finish)"
    failing = [f for f in suite.failures.values() if f.test != "<collection>"]
    if not failing:
        evidence.note = f"{suite.collected} ran, none broken by the change" if suite.finished else f"no failures{cut}"
        return evidence
    checked = failing[:MAX_RERUN]
    old = prober.run_in("old", [*PYTEST, *[f.test for f in checked]], quiet, timeout=timeout)
    if old is None or not read_suite(old.output).finished:
        evidence.note = f"{len(failing)} fail after the change; the old version could not be run to compare"
        return evidence
    before = read_suite(old.output).failures
    candidates = [f for f in checked if f.test not in before and not _collect_failed(f.test, before)]
    broken = _confirmed(prober, candidates, plugin, quiet, timeout)
    already = [f for f in checked if f not in candidates]
    count = f"{len(broken)}{'+' if len(failing) > MAX_RERUN else ''}" if broken else "none"
    evidence.note = (f"{suite.collected or 'the tests'} ran{cut}, {count} broken by the change"
                     + (f" ({len(already)} failing before it too, e.g. {_first(already, prober)})" if already else "")
                     + (f"; only the first {MAX_RERUN} failures were compared" if len(failing) > MAX_RERUN else ""))
    evidence.findings, unplaced = broken_test_findings(broken, diff, read_new), []
    if broken and not evidence.findings:  # nothing on the new side to comment on (files deleted, renamed, data)
        unplaced = broken
    if unplaced:
        evidence.note += f": {_first(unplaced, prober)}"
    evidence.unplaced = len(unplaced)
    return evidence


def _hang(prober: Prober, evidence: TestEvidence, diff: ReviewDiff, read_new: Callable[[str], str | None],
          argv: list[str], quiet: dict[str, str], timeout: float) -> None:
    """The suite did not finish on the new version: when it does on the old one, that is the finding."""
    old = prober.run_in("old", argv, quiet, timeout=timeout)
    if old is None or old.timed_out or not read_suite(old.output).finished:
        evidence.note = f"did not finish in {timeout:g} s (nor before the change)"
        return
    hang = Failure("the suite", "call", "")
    evidence.findings = [replace(f, title="the test suite no longer finishes",
                                 scenario=f"the project's tests do not finish in {timeout:g} s after this change; before "
                                          f"it they finished in {old.duration_s:.0f} s (run by smallcoder)")
                         for f in broken_test_findings([hang], diff, read_new)]
    evidence.note = f"the suite no longer finishes in {timeout:g} s"


def _confirmed(prober: Prober, candidates: list[Failure], plugin: dict[str, str], quiet: dict[str, str],
               timeout: float) -> list[Failure]:
    """Those of `candidates` that fail twice more on the new side and pass once more on the old one:
    a test that fails now and then is not the change's fault (a 50/50 test gets through 1 time in 32)."""
    if not candidates:
        return []
    kept = {f.test: f for f in candidates}
    for side, files in (("new", plugin), ("old", quiet), ("new", plugin)):
        run = prober.run_in(side, [*PYTEST, *kept], files, timeout=timeout)
        if run is None:
            return []
        failed = read_suite(run.output).failures
        kept = {t: failed.get(t, f) for t, f in kept.items() if (t in failed) == (side == "new")}
    return [kept[f.test] for f in candidates if f.test in kept]


def _first(failures: list[Failure], prober: Prober) -> str:
    f = failures[0]
    return clip(f"{f.test}: {_masked(f.message, prober)}", 200)


def _masked(text: str, prober: Prober) -> str:
    """`text` with the scratch copies' folders named as the repository."""
    for side in ("new", "old"):
        tree = prober.tree(side)
        if tree is not None:
            text = text.replace(str(tree), str(prober.repo))
    return text


def _collect_failed(test: str, before: dict[str, Failure]) -> bool:
    """Did the old run fail to collect the file of `test` (then the test never ran there: no comparison)?"""
    return test.split("::", 1)[0] in before


def _test_targets(repo: Path) -> list[str] | None:
    """What to give pytest: nothing when the project configures pytest itself (testpaths, python_files:
    its own choice of tests stands), else the top folders holding its Python test files and test files
    at the top; None when it has no tests at all."""
    files = list_files(repo)
    tests = sorted({PurePosixPath(p).parts[0] for p in files if p.endswith(".py") and is_test_path(p)})
    if any(_configures_pytest(repo / name) for name in PYTEST_CONFIGS if name in files):
        return []
    return tests or None


def _configures_pytest(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return path.name == "pytest.ini" or any(h in text for h in ("[tool.pytest.ini_options]", "[tool:pytest]", "[pytest]"))
