"""search: regex over the project's files, .gitignore respected, with a Python fallback."""

from __future__ import annotations

import pytest

from smallcoder.errors import ToolError
from smallcoder.tools.base import ToolContext
from smallcoder.tools.search import MAX_MATCHES, search

from .conftest import git, write


@pytest.fixture
def project(repo):
    write(repo, ".gitignore", "venv/\n")
    write(repo, "src/calc.py", "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n")
    write(repo, "tests/test_calc.py", "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    write(repo, "venv/lib/site.py", "def add(x):\n    pass\n")
    write(repo, "logo.png", b"\x89PNG\x00def add(")
    git(repo, "add", "src")
    return repo


def test_search_finds_matches_and_respects_gitignore(ctx, project):
    out = search(ctx, r"def \w+\(a, b\)")
    assert out.splitlines() == ["src/calc.py:1: def add(a, b):", "src/calc.py:5: def sub(a, b):"]
    out = search(ctx, "def add")
    assert "venv" not in out and "logo.png" not in out


def test_search_with_path_and_no_match(ctx, project):
    assert search(ctx, r"add\(\d", "tests") == "tests/test_calc.py:4:     assert add(1, 2) == 3"
    assert search(ctx, "multiply", "src") == "no matches for 'multiply' in src"
    with pytest.raises(ToolError, match="nope does not exist"):
        search(ctx, "x", "nope")


def test_invalid_regex_suggests_escaping(ctx, project):
    with pytest.raises(ToolError, match=r"invalid regex 'add\(a': .*escape special characters"):
        search(ctx, "add(a")


def test_search_caps_matches_with_total(ctx, repo):
    write(repo, "many.txt", "".join(f"hit {i}\n" for i in range(120)))
    out = search(ctx, "hit")
    lines = out.splitlines()
    assert len(lines) == MAX_MATCHES + 1
    assert lines[-1] == f"[{MAX_MATCHES} of 120 matches shown; narrow the pattern or the path]"


def test_search_outside_a_git_repository_uses_python(tmp_path):
    root = tmp_path / "plain"
    write(root, "a.py", "value = 42\nother = 7\n")
    write(root, "node_modules/x.js", "value = 1\n")
    write(root, "bin.dat", b"value\x00")
    ctx = ToolContext(root=root)
    assert search(ctx, r"value = \d+") == "a.py:1: value = 42"
