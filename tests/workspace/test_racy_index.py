"""A same-size edit made in the same second as the index was written must still show in the run's diff.

Git trusts an index entry whose stat data (size, mtime, inode) matches the file unless the entry is
as new as the index file itself ("racy git"); then it compares contents. The diff and the snapshots
work on a copy of the worktree's index, so that copy must keep the index's mtime. Seen as a flaky
field-report test: the model's `- 1` → `- 2` edit vanished from the diff about one run in three.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from smallcoder.workspace.diff import worktree_diff
from smallcoder.workspace.snapshot import work_tree_state
from smallcoder.workspace.worktree import create_worktree


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def test_a_same_size_same_second_edit_is_in_the_diff_and_the_state(tmp_path, monkeypatch):
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{key}_NAME", "t")
        monkeypatch.setenv(f"GIT_{key}_EMAIL", "t@localhost")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "stats.py").write_text("def mean(v):\n    return sum(v) / (len(v) - 1)\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "init")
    wt = create_worktree(repo, "racy", tmp_path / "worktrees")
    target = wt.path / "stats.py"
    index = wt.path / _git(wt.path, "rev-parse", "--git-path", "index").strip()
    stamp = target.stat().st_mtime_ns - 10 * 10**9  # ten seconds ago: the copy's "now" is then clearly newer
    os.utime(target, ns=(stamp, stamp))
    _git(wt.path, "update-index", "--refresh")  # the index records that mtime
    clean_state = work_tree_state(wt.path)

    with open(target, "r+") as f:  # same inode, same size: only the content differs
        text = f.read()
        f.seek(0)
        f.write(text.replace("- 1)", "- 2)"))
    os.utime(target, ns=(stamp, stamp))  # the edit landed within the same timestamp...
    os.utime(index, ns=(stamp, stamp))  # ...as the index was written

    assert "(len(v) - 2)" in worktree_diff(wt)
    assert work_tree_state(wt.path) != clean_state
