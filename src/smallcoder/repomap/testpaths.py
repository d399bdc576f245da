"""Which paths are tests: the one rule, used by context gathering, the repo map's ranking, the
reproduce-first phase and the pull-request notes.

A path is a test when its name says so (test_x.py, x_test.go, x.test.ts, x.spec.js, x_spec.rb,
FooTest.java, conftest.py) or it lives in a test directory (test/, tests/, testing/, spec/, specs/,
__tests__/) and is code rather than notes. Caches (__pycache__, node_modules, .tox …) are never tests.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

CACHE_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules", ".tox"})
TEST_DIRS = frozenset({"test", "tests", "testing", "spec", "specs", "__tests__"})
_NAMED = re.compile(r"^(test_.*|tests?\.py|conftest\.py|.*_test\..*|.*\.test\..*|.*\.spec\..*|.*_spec\.rb)$")
_JAVA_STYLE = re.compile(r".*Tests?\.\w+$")  # FooTest.java, BarTests.cs (case matters: "latest.py" is not)


def is_test_path(path: str) -> bool:
    """Is this repository-relative path (either separator) a test file?"""
    p = PurePosixPath(path.replace("\\", "/"))
    if CACHE_PARTS & set(p.parts):
        return False
    if _NAMED.match(p.name.lower()) or _JAVA_STYLE.match(p.name):
        return True
    in_test_dir = any(part.lower() in TEST_DIRS for part in p.parts[:-1])
    return in_test_dir and p.suffix not in ("", ".txt", ".md", ".rst")
