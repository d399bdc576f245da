"""Issue → reproduce → fix → push → pull request, against the fake API, a real repository and a bare remote."""

import pytest

from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.errors import BackendError
from smallcoder.github import GitHubError
from smallcoder.session.fix import FixOptions
from smallcoder.session.issue import fix_issue
from smallcoder.config import UserConfig
from smallcoder.paths import Home
from smallcoder.session.setup import open_session

from .conftest import git
from .scripts import FIX, WRITE_REPRO, hermes

REF = "acme/textutil#7"


def run(project, outputs, **flags):
    backend = ScriptedBackend(outputs=list(outputs))
    with open_session(UserConfig(), Home.from_env(), backend=backend) as session:
        done = fix_issue(session, REF, project, FixOptions(), **flags)
    return done, backend


def test_issue_becomes_a_pull_request(hosted, project, remote):
    head_before = git(project, "rev-parse", "HEAD")
    done, backend = run(project, [WRITE_REPRO, FIX], pr=True, comment=True)
    result, delivery = done.result, done.delivery
    assert result.success and result.reproduction.reproduced

    # the task came from the issue: title, body (template comment dropped), labels, comments
    first = backend.requests[0][1].content
    assert "Fix #7: slugify gives a double dash" in first and 'slugify("Hello  World")' in first
    assert "labels: bug, smallcoder" in first and "Confirmed on main." in first and "Please describe" not in first

    # the branch on the remote holds the reproducing test and the fix, in a commit that names the issue
    branch = "smallcoder/issue-7"
    assert git(remote, "rev-parse", f"refs/heads/{branch}") == result.commit == delivery.pushed.commit
    assert "#7" in git(remote, "log", "-1", "--format=%s", branch)
    assert "def test_two_spaces_give_one_dash" in git(remote, "show", f"{branch}:test_issue_7.py")
    assert "split()" in git(remote, "show", f"{branch}:textutil.py")

    # the PR, created through the API after the push
    pr = hosted.repos["acme/textutil"].pulls[delivery.pull_request.number]
    assert pr["head"]["ref"] == branch and pr["base"]["ref"] == "main" and pr["head"]["sha"] == result.commit
    assert pr["title"] == "Fix #7: slugify gives a double dash for two spaces" and pr["draft"] is False
    body = pr["body"]
    assert "Fixes #7" in body and "## Root cause" in body and "split(\" \") makes an empty word" in body
    assert "`test_issue_7.py` was written to show the reported behaviour" in body
    assert "| before the reproducing test | passed (1 passed" in body
    assert "| with it, before the fix | failed (1 failed, 1 passed" in body
    assert "| after the fix | passed (2 passed" in body
    assert "model `scripted`" in body and "```diff" in body

    # the outcome on the issue, and the user's checkout untouched
    comment = hosted.repos["acme/textutil"].comments[7][-1]["body"]
    assert "<!-- smallcoder -->" in comment and f"opened {delivery.pull_request.url}" in comment
    assert git(project, "rev-parse", "HEAD") == head_before and git(project, "status", "--porcelain") == ""


def test_rerun_updates_the_branch_and_the_same_pull_request(hosted, project, remote):
    first, _ = run(project, [WRITE_REPRO, FIX], pr=True)
    second, backend = run(project, [WRITE_REPRO, FIX], pr=True, draft=True, comment=True)
    assert second.result.commit != first.result.commit
    assert git(remote, "rev-parse", "refs/heads/smallcoder/issue-7") == second.result.commit
    assert second.delivery.pushed.previous == first.result.commit
    pulls = hosted.repos["acme/textutil"].pulls
    assert len(pulls) == 1 and not second.delivery.pull_request.created
    assert len(hosted.calls("POST", "/repos/acme/textutil/pulls")) == 1
    assert len(hosted.calls("PATCH", r"/repos/acme/textutil/pulls/\d+")) == 1
    assert second.result.run_id in next(iter(pulls.values()))["body"]  # the body describes the latest run
    assert "updated" in hosted.repos["acme/textutil"].comments[7][-1]["body"]
    # our own comments on the issue are not fed back to the model as part of the task
    assert "smallcoder" not in backend.requests[0][1].content.split("Comment by")[-1].split("\n")[0]


def test_without_pr_nothing_is_pushed_or_written(hosted, project, remote):
    done, _ = run(project, [WRITE_REPRO, FIX])
    assert done.result.success and done.delivery.pushed is None
    assert git(remote, "branch", "--list", "smallcoder/*") == ""
    assert {r.method for r in hosted.requests} == {"GET"}
    assert "#7" in git(project, "log", "-1", "--format=%s", done.result.branch)  # the local commit names the issue


def test_an_unverified_change_is_not_pushed_and_the_issue_hears_why(hosted, project, remote):
    outputs = [WRITE_REPRO, hermes("submit", summary="looks fine"), hermes("submit", summary="really")]
    done, _ = run(project, outputs, pr=True, comment=True)
    assert not done.result.success and done.delivery.pushed is None and done.delivery.pull_request is None
    assert "not verified" in done.delivery.note
    assert git(remote, "branch", "--list", "smallcoder/*") == ""
    assert not hosted.calls("POST", "/repos/acme/textutil/pulls")
    comment = hosted.repos["acme/textutil"].comments[7][-1]["body"]
    assert "could not fix this issue automatically" in comment and "No pull request was opened" in comment


def test_when_nothing_reproduces_nothing_is_pushed_and_the_issue_hears_why(hosted, project):
    outputs = [hermes("submit", summary="it needs a terminal"), FIX, hermes("submit", summary="done")]
    done, _ = run(project, outputs, pr=True, comment=True)
    assert done.result.status == "changed-unverified"  # the tests passed before the fix too
    assert done.delivery.pushed is None and not hosted.repos["acme/textutil"].pulls
    assert "not verified" in done.delivery.note and "changed-unverified" in done.delivery.note
    assert "changed-unverified" in hosted.repos["acme/textutil"].comments[7][-1]["body"]


def test_closed_issue_is_refused_before_the_model_runs(hosted, project):
    hosted.repos["acme/textutil"].issues[7]["state"] = "closed"
    backend = ScriptedBackend(outputs=[FIX])
    with pytest.raises(GitHubError, match="issue acme/textutil#7 is closed — reopen it"):
        with open_session(UserConfig(), Home.from_env(), backend=backend) as session:
            fix_issue(session, REF, project, FixOptions())
    assert backend.requests == []


def test_pr_refuses_a_dirty_checkout(hosted, project):
    (project / "notes.txt").write_text("mine\n")
    with pytest.raises(GitHubError, match="uncommitted changes, and --pr would push them"):
        with open_session(UserConfig(), Home.from_env(), backend=ScriptedBackend(outputs=[])) as session:
            fix_issue(session, REF, project, FixOptions(), pr=True)


def test_a_failed_run_is_reported_on_the_issue(hosted, project):
    with pytest.raises(BackendError):
        run(project, [], comment=True)  # the scripted model has nothing to say: a backend error
    comment = hosted.repos["acme/textutil"].comments[7][-1]["body"]
    assert "stopped with an error" in comment and "no output left" in comment
