"""Pushing to the issue branch of a real bare remote with plain git."""

import subprocess

import pytest

from smallcoder.github import GitHubError, issue_branch, push_commit
from smallcoder.github.push import remote_head

from .conftest import git


def commit_on_side(repo, name, text):
    """A commit that is not on any local branch the user works on."""
    (repo / name).write_text(text)
    git(repo, "add", name)
    tree = git(repo, "write-tree")
    sha = git(repo, "commit-tree", tree, "-p", "HEAD", "-m", f"add {name}")
    git(repo, "reset", "-q", "--hard", "HEAD")
    return sha


def test_new_branch_then_rerun_replaces_it(project, remote):
    branch = issue_branch(7)
    assert branch == "smallcoder/issue-7" and remote_head(project, branch) is None
    first = commit_on_side(project, "a.txt", "one\n")
    pushed = push_commit(project, first, branch)
    assert pushed.previous is None and pushed.changed
    assert git(remote, "rev-parse", f"refs/heads/{branch}") == first
    # a re-run starts again from main: its commit is not a descendant of the first, and still replaces it
    second = commit_on_side(project, "b.txt", "two\n")
    again = push_commit(project, second, branch)
    assert again.previous == first
    assert git(remote, "rev-parse", f"refs/heads/{branch}") == second
    assert push_commit(project, second, branch).changed is False  # nothing to do the third time


def test_lease_refuses_when_someone_else_moved_the_branch(project, remote, monkeypatch):
    branch = issue_branch(7)
    push_commit(project, commit_on_side(project, "a.txt", "one\n"), branch)
    theirs = commit_on_side(project, "c.txt", "someone else's\n")
    import smallcoder.github.push as push_module

    real = push_module.remote_head

    def look_then_race(repo, name, remote_name="origin"):
        seen = real(repo, name, remote_name)
        git(project, "push", "-q", "--force", "origin", f"{theirs}:refs/heads/{branch}")  # lands between look and push
        return seen

    monkeypatch.setattr(push_module, "remote_head", look_then_race)
    with pytest.raises(GitHubError, match="changed while smallcoder was pushing"):
        push_commit(project, commit_on_side(project, "b.txt", "two\n"), branch)
    assert git(remote, "rev-parse", f"refs/heads/{branch}") == theirs  # their work was not overwritten


def test_no_origin(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(GitHubError, match="no `origin` remote"):
        push_commit(tmp_path, "0" * 40, "smallcoder/issue-1")


def test_unreachable_remote_pushes_nothing(project, tmp_path):
    git(project, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    with pytest.raises(GitHubError, match="nothing was pushed"):
        push_commit(project, git(project, "rev-parse", "HEAD"), "smallcoder/issue-1")


def test_a_token_in_the_remote_url_is_not_shown(project):
    git(project, "remote", "set-url", "origin", "http://user:ghp_secret@127.0.0.1:9/acme/textutil.git")
    with pytest.raises(GitHubError) as e:
        push_commit(project, git(project, "rev-parse", "HEAD"), "smallcoder/issue-1")
    assert "ghp_secret" not in str(e.value)
