"""Failing tests read from a runner's summary (workspace/test_counts.py)."""

import pytest

from smallcoder.workspace.test_counts import failing_tests

PYTEST_TAIL = "FAILED test_a.py::test_x - assert 1 == 2\n"


@pytest.mark.parametrize("output, count", [
    ("F. [100%]\n" + PYTEST_TAIL + "1 failed, 1 passed in 0.31s\n", 1),
    ("=========== 2 failed, 5 passed, 1 warning in 1.02s ===========\n", 2),
    ("==== 1 failed, 3 passed, 2 errors in 4.00s ====\n", 3),
    # collection stopped pytest before any test ran: the one error says nothing of how many tests fail
    ("E   ImportError: no module\n!!! Interrupted: 1 error during collection !!!\n=== 1 error in 0.12s ===\n", None),
    ("!!!!!! Interrupted: 2 errors during collection !!!!!!\n2 errors in 0.30s\n", None),
    ("1 failed in 0.1s\n...rerun...\n3 failed, 1 passed in 0.2s\n", 3),  # the last summary counts
    ("Ran 3 tests in 0.001s\n\nFAILED (failures=2, errors=1)\n", 3),
    ("Ran 3 tests in 0.001s\n\nFAILED (failures=1, skipped=2)\n", 1),
    ("Ran 4 tests in 0.001s\n\nFAILED (failures=1, expected failures=2)\n", 1),  # expected ones do not fail
    ("Ran 4 tests in 0.001s\n\nFAILED (errors=1, unexpected successes=1)\n", 2),
    # a test module that cannot be imported is one error, whatever number of tests it holds
    ("ERROR: test_stats (unittest.loader._FailedTest.test_stats)\nImportError: Failed to import test module: "
     "test_stats\n\nRan 1 test in 0.000s\n\nFAILED (errors=1)\n", None),
    ("test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out\n", 2),
    ("=== RUN   TestA\n--- FAIL: TestA (0.00s)\n--- FAIL: TestB (0.00s)\nFAIL\n", 2),
    ("make: *** [test] Error 1\n", None),
])
def test_failing_tests_from_the_summary(output, count):
    assert failing_tests(output, passed=False) == count


def test_a_passing_run_has_none_failing_whatever_it_printed():
    assert failing_tests("1 failed in 0.1s (an earlier run, quoted)\n", passed=True) == 0
