"""`runs clean` removes a run's worktree only when asked, and never anything of the user's."""

from __future__ import annotations

import subprocess

from smallcoder.workspace.cleanup import clean_run

from .conftest import git, snapshot


def _branch_exists(repo, branch):
    return subprocess.run(["git", "rev-parse", "--verify", "-q", f"refs/heads/{branch}"], cwd=repo).returncode == 0


def test_removes_a_clean_worktree_and_keeps_its_branch(user_repo, worktree):
    before = snapshot(user_repo)
    res = clean_run("run1", user_repo, worktree.path, worktree.branch)
    assert res.ok and res.removed == [f"worktree {worktree.path}"]
    assert not worktree.path.exists() and _branch_exists(user_repo, worktree.branch)
    assert any("--branches" in k for k in res.kept)
    res = clean_run("run1", user_repo, worktree.path, worktree.branch, branches=True)
    assert res.removed == [f"branch {worktree.branch}"] and not _branch_exists(user_repo, worktree.branch)
    assert snapshot(user_repo) == before


def test_uncommitted_work_is_kept_unless_forced(user_repo, worktree):
    (worktree.path / "draft.py").write_text("x = 1\n")
    res = clean_run("run1", user_repo, worktree.path, worktree.branch)
    assert not res.ok and "uncommitted" in res.kept[0] and worktree.path.exists()
    dry = clean_run("run1", user_repo, worktree.path, worktree.branch, force=True, dry_run=True)
    assert dry.removed and worktree.path.exists()
    res = clean_run("run1", user_repo, worktree.path, worktree.branch, force=True)
    assert res.ok and not worktree.path.exists()


def test_never_the_users_tree_or_branch(user_repo, worktree):
    before = snapshot(user_repo)
    for path, branch in ((user_repo, worktree.branch), (user_repo, "main"), (worktree.path, "main"),
                         (user_repo / "sub" / "..", worktree.branch)):
        res = clean_run("x", user_repo, path, branch, branches=True, force=True)
        assert not res.ok and not res.removed, (path, branch, res)
    assert snapshot(user_repo) == before and worktree.path.exists()


def test_a_directory_that_is_not_the_runs_worktree_is_left_alone(user_repo, worktree, tmp_path):
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "keep.txt").write_text("mine\n")
    res = clean_run("run1", user_repo, stranger, worktree.branch, force=True)
    assert not res.ok and (stranger / "keep.txt").exists()
    other = git(user_repo, "worktree", "add", "-q", "-b", "smallcoder/other", str(tmp_path / "other"))
    res = clean_run("run1", user_repo, tmp_path / "other", worktree.branch, force=True)
    assert not res.ok and "is on refs/heads/smallcoder/other" in res.kept[0] and other == ""


def test_a_worktree_deleted_by_hand_is_pruned(user_repo, worktree):
    import shutil

    shutil.rmtree(worktree.path)
    res = clean_run("run1", user_repo, worktree.path, worktree.branch, branches=True)
    assert res.ok and res.removed == [f"branch {worktree.branch}"]
    assert "run1" not in git(user_repo, "worktree", "list")
