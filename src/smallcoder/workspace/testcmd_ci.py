"""What the project's CI runs its tests on: the paths its GitHub Actions workflows pass to pytest.

A project without pytest configuration often says where its tests are only in CI (`pytest tests/`,
`uv run pytest src/pkg`). Only the paths are taken — they decide what is collected — and only paths that
exist in the repository; options (coverage, xdist, reports) need plugins the environment may not have and
change nothing about pass or fail. Read as text, line by line: a `run:` value or a line of a `run: |` block.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

WORKFLOWS = ".github/workflows"
# A pytest invocation, behind the runners people put in front of it.
PYTEST_LINE = re.compile(
    r"(?:^|[\s;&|:])(?:(?:uv|poetry|pdm|hatch|pipenv|rye)\s+run\s+(?:--\S+\s+)*)?"
    r"(?:python[\d.]*\s+-m\s+)?(?:py\.test|pytest)(?P<args>(?:\s+[^\s;&|#]+)*)"
)
MAX_BYTES = 200_000


def ci_test_paths(root: Path) -> list[str] | None:
    """Repository paths the first pytest call in CI names ([] for a bare `pytest`), or None without one."""
    folder = root / WORKFLOWS
    if not folder.is_dir():
        return None
    for workflow in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        try:
            if workflow.stat().st_size > MAX_BYTES:
                continue
            text = workflow.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if "${{" in line or line.lstrip().startswith("#") or re.search(r"\b(?:install|add)\b", line):
                continue  # expressions are filled in by CI; `pip install pytest` runs nothing
            match = PYTEST_LINE.search(line)
            if match:
                return _paths(root, match.group("args"))
    return None


def _paths(root: Path, args: str) -> list[str]:
    try:
        words = shlex.split(args)
    except ValueError:
        return []
    out = []
    for word in words:
        path = word.split("::")[0]
        if not word.startswith("-") and path and (root / path).exists() and ".." not in Path(path).parts:
            out.append(word)
    return out
