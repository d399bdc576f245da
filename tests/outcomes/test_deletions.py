"""workspace/deletions.py on real git repositories: what a diff removes whole, and what it does not."""

import subprocess
from pathlib import Path

import pytest

from smallcoder.workspace.deletions import Deletion, deleted_definitions, find_deletions

STATS = '''"""Statistics helpers."""


def mean(values):
    return sum(values) / (len(values) - 1)


def spread(values):
    return max(values) - min(values)


class Summary:
    def describe(self):
        def fmt(x):  # a local: removing it is an edit of describe()
            return str(x)
        return fmt(1)

    def total(self):
        return 0
'''


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "stats.py").write_text(STATS)
    (repo / "util.js").write_text("function keep() {}\nfunction drop() {}\nclass Box {}\n")
    (repo / "data.bin").write_bytes(b"\0\1\2def x(): pass\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    return repo


def deletions_after(repo: Path, task: str) -> list[Deletion]:
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "add", "-A")
    diff = git(repo, "diff", "--cached", base)
    return find_deletions(repo, base, diff, task)


def test_a_rewrite_that_drops_a_function_is_found(repo):
    # The field report's draft call: write_file with only the fixed mean().
    (repo / "src" / "stats.py").write_text("def mean(values):\n    return sum(values) / len(values)\n")
    found = deletions_after(repo, "mean([2,4,6]) should be 4")
    assert [d.describe() for d in found] == [
        "spread() in src/stats.py", "class Summary in src/stats.py",
        "Summary.describe() in src/stats.py", "Summary.total() in src/stats.py",
    ]
    assert found[0] == Deletion("src/stats.py", "spread", "function", 8)


def test_what_the_task_names_is_not_reported(repo):
    (repo / "src" / "stats.py").write_text(STATS.replace("def spread(values):\n    return max(values) - min(values)\n", ""))
    assert deletions_after(repo, "remove spread(), nobody uses it") == []
    assert [d.name for d in deletions_after(repo, "remove the unused helper")] == ["spread"]


def test_edits_inside_a_function_and_removed_locals_are_not_deletions(repo):
    text = STATS.replace("(len(values) - 1)", "len(values)").replace(
        "        def fmt(x):  # a local: removing it is an edit of describe()\n            return str(x)\n        return fmt(1)",
        "        return str(1)")
    (repo / "src" / "stats.py").write_text(text)
    assert deletions_after(repo, "fix mean") == []


def test_a_move_to_another_changed_file_is_not_a_deletion(repo):
    (repo / "src" / "stats.py").write_text(STATS.replace("def spread(values):\n    return max(values) - min(values)\n", ""))
    (repo / "src" / "ranges.py").write_text("def spread(values):\n    return max(values) - min(values)\n")
    assert deletions_after(repo, "split the module") == []


def test_a_deleted_file_deletes_its_definitions_and_other_languages_count(repo):
    (repo / "src" / "stats.py").unlink()
    (repo / "util.js").write_text("function keep() {}\n")
    (repo / "data.bin").write_bytes(b"\0\1\2")
    names = {(d.path, d.name) for d in deletions_after(repo, "clean up")}
    assert ("src/stats.py", "mean") in names and ("src/stats.py", "Summary.total") in names
    assert ("util.js", "drop") in names and ("util.js", "Box") in names and ("util.js", "keep") not in names
    assert not any(path == "data.bin" for path, _ in names)


def test_new_files_and_pure_text_diffs(repo):
    (repo / "src" / "new.py").write_text("def fresh():\n    pass\n")
    (repo / "README.md").write_text("# notes\n")
    assert deletions_after(repo, "add a helper") == []


def test_pure_function_on_texts():
    old = {"a.py": "def f():\n    pass\n\n\ndef g():\n    pass\n"}
    assert deleted_definitions(old, {"a.py": "def g():\n    pass\n"}, "") == [Deletion("a.py", "f", "function", 1)]
    assert deleted_definitions(old, {"a.py": "def g():\n    pass\n"}, "drop f") == []
    assert deleted_definitions(old, {"a.py": "def g():\n    pass\n"}, "the ff module") != []  # whole words only
