"""How many tests a run left failing, read from the runner's own summary line.

    pytest      "=== 2 failed, 5 passed in 0.31s ===", "1 failed, 1 error in 2.0s", "3 errors in 0.4s"
    unittest    "FAILED (failures=2, errors=1)", "OK"
    go test     "--- FAIL: TestName" lines; cargo test: "test result: FAILED. 3 passed; 2 failed;"

None when no summary is recognised, or when the count would not be one of tests: pytest stopped by an error
during collection ran no test, and unittest counts a test module it could not import as one error, whatever
it holds (a try that breaks an import must not rank with a try that leaves one test failing).
"""

from __future__ import annotations

import re

_PYTEST = re.compile(r"\b(\d+) (failed|errors?)\b")
_PYTEST_LINE = re.compile(r"\b\d+ (?:passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b.* in [\d.]+s")
_UNITTEST = re.compile(r"^FAILED \(([^)]*)\)\s*$", re.M)
_UNITTEST_PART = re.compile(r"(?:^|, )(?:failures|errors|unexpected successes)=(\d+)")  # not "expected failures"
_CARGO = re.compile(r"^test result: \w+\. \d+ passed; (\d+) failed;", re.M)
_GO_FAIL = re.compile(r"^\s*--- FAIL: ", re.M)
_NO_COUNT = re.compile(r"Interrupted: \d+ errors? during collection|Failed to import test module")


def failing_tests(output: str, passed: bool) -> int | None:
    """Tests failing or erroring in one run's `output` (its whole log); 0 when the run `passed`."""
    if passed:
        return 0
    if _NO_COUNT.search(output):
        return None
    pytest_lines = [line for line in output.splitlines() if _PYTEST_LINE.search(line)]
    if pytest_lines:
        return sum(int(n) for n, _ in _PYTEST.findall(pytest_lines[-1]))
    unittest = _UNITTEST.findall(output)
    if unittest:
        return sum(int(n) for n in _UNITTEST_PART.findall(unittest[-1]))
    cargo = _CARGO.findall(output)
    if cargo:
        return sum(int(n) for n in cargo)
    go = len(_GO_FAIL.findall(output))
    return go or None
