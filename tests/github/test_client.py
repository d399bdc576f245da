"""The GitHub client against the local fake API: the calls, and every documented error as one clear line."""

import pytest

from smallcoder.github import GitHubClient, GitHubError, IssueRef, Token, comment_on_issue, find_token

from .conftest import TOKEN, git

REF = IssueRef("acme", "textutil", 7)


def client(fake, token=TOKEN):
    return GitHubClient(fake.url, Token(token, "test") if token else None)


def test_reads_issue_with_labels_and_comments(hosted):
    issue = GitHubClient.for_issue(REF).get_issue(REF)  # API URL and token from the environment
    assert issue.title == "slugify gives a double dash for two spaces"
    assert "Hello  World" in issue.body and issue.state == "open"
    assert issue.labels == ["bug", "smallcoder"] and issue.author == "reporter"
    assert [(c.author, c.body) for c in issue.comments] == [("maintainer", "Confirmed on main.")]
    paths = [(r.method, r.path) for r in hosted.requests]
    assert paths == [("GET", "/repos/acme/textutil/issues/7"), ("GET", "/repos/acme/textutil/issues/7/comments")]
    assert hosted.requests[0].headers["authorization"].endswith(TOKEN)


def test_public_issue_can_be_read_without_a_token(hosted):
    assert client(hosted, None).get_issue(REF).title.startswith("slugify")
    assert "authorization" not in hosted.requests[-1].headers


def test_bad_credentials(hosted):
    with pytest.raises(GitHubError, match=r"rejected the token from test \(401 Bad credentials\).*GITHUB_TOKEN"):
        client(hosted, "ghp_revoked").get_issue(REF)


def test_issue_not_found(hosted):
    with pytest.raises(GitHubError, match=r"issue acme/textutil#99 not found — check the number"):
        client(hosted).get_issue(IssueRef("acme", "textutil", 99))


def test_private_repo_without_token_says_to_set_one(hosted):
    hosted.add_repo("acme/secret", private=True)
    hosted.add_issue("acme/secret", 1, "t", "b")
    ref = IssueRef("acme", "secret", 1)
    with pytest.raises(GitHubError, match="private.*set GITHUB_TOKEN"):
        client(hosted, None).get_issue(ref)
    assert client(hosted).get_issue(ref).title == "t"


def test_rate_limit_says_when_it_resets(hosted):
    hosted.rate_limited = True
    with pytest.raises(GitHubError, match=r"rate limit exceeded until \d\d:\d\d UTC \(10 min\) — wait") as e:
        client(hosted).get_issue(REF)
    assert "\n" not in str(e.value)
    with pytest.raises(GitHubError, match="authenticated requests get 5,000"):
        client(hosted, None).get_issue(REF)
    assert len(hosted.requests) == 2  # no retries, no sleeping through the limit


def test_a_pull_request_number_is_refused(hosted):
    hosted.add_issue("acme/textutil", 8, "a PR", "", is_pull=True)
    with pytest.raises(GitHubError, match="is a pull request, not an issue"):
        client(hosted).get_issue(IssueRef("acme", "textutil", 8))


def test_unreachable_api(hosted):
    dead = GitHubClient("http://127.0.0.1:9", Token(TOKEN, "test"))  # discard port: nothing listens
    with pytest.raises(GitHubError, match="cannot reach the GitHub API at http://127.0.0.1:9"):
        dead.get_issue(REF)


def test_writes_need_a_token(hosted):
    with pytest.raises(GitHubError, match="no GitHub token to comment"):
        client(hosted, None).comment_on_issue(REF, "hi")
    with pytest.raises(GitHubError, match="no GitHub token to open a pull request"):
        client(hosted, None).open_or_update_pull(REF, "b", "main", "t", "body")


def test_comment_on_issue(hosted):
    posted = comment_on_issue(REF, "smallcoder was here")
    assert posted.url.endswith(f"/acme/textutil/issues/7#issuecomment-{posted.id}")
    assert hosted.repos["acme/textutil"].comments[7][-1]["body"] == "smallcoder was here"
    assert hosted.calls("POST", "/repos/acme/textutil/issues/7/comments")[0].body == {"body": "smallcoder was here"}


def push_branch(project, branch):
    git(project, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")


def test_open_then_update_the_same_pull_request(hosted, project):
    push_branch(project, "smallcoder/issue-7")
    c = client(hosted)
    first = c.open_or_update_pull(REF, "smallcoder/issue-7", "main", "Fix #7", "body 1", draft=True)
    assert first.created and first.draft and first.number == 8 and first.head == "smallcoder/issue-7"
    again = c.open_or_update_pull(REF, "smallcoder/issue-7", "main", "Fix #7 (again)", "body 2")
    assert not again.created and again.number == first.number
    pulls = hosted.repos["acme/textutil"].pulls
    assert len(pulls) == 1 and pulls[8]["body"] == "body 2" and pulls[8]["title"] == "Fix #7 (again)"
    listed = hosted.calls("GET", "/repos/acme/textutil/pulls")
    assert listed[0].query == {"state": "open", "head": "acme:smallcoder/issue-7"}
    assert hosted.calls("POST", "/repos/acme/textutil/pulls")[0].body["draft"] is True
    assert len(hosted.calls("PATCH", "/repos/acme/textutil/pulls/8")) == 1


def test_already_exists_422_updates_the_open_one(hosted, project):
    """Two runs racing: the list missed the PR the other opened; GitHub answers 422 and we update it."""
    push_branch(project, "smallcoder/issue-7")
    c = client(hosted)
    c.open_or_update_pull(REF, "smallcoder/issue-7", "main", "Fix #7", "first")
    hosted.stale_pull_list = True
    pr = c.open_or_update_pull(REF, "smallcoder/issue-7", "main", "Fix #7", "second")
    assert not pr.created and hosted.repos["acme/textutil"].pulls[pr.number]["body"] == "second"
    assert len(hosted.repos["acme/textutil"].pulls) == 1


def test_pull_request_for_a_branch_that_was_never_pushed(hosted):
    with pytest.raises(GitHubError, match="refused the pull request from nowhere into main: Validation Failed"):
        client(hosted).open_or_update_pull(REF, "nowhere", "main", "t", "b")


def test_token_discovery_is_used_by_for_issue(hosted, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_token() is None and GitHubClient.for_issue(REF).token is None


def test_secondary_rate_limit_says_how_long_to_wait():
    from smallcoder.github.errors import is_rate_limited, rate_limit_message

    headers = {"Retry-After": "60"}
    assert is_rate_limited(403, headers, "You have exceeded a secondary rate limit")
    assert rate_limit_message(headers, True) == "GitHub API rate limit exceeded (retry in 60 s) — wait and retry"
    assert not is_rate_limited(403, {"x-ratelimit-remaining": "12"}, "Resource not accessible by integration")


def test_forbidden_write_names_the_missing_permission(hosted):
    hosted.read_only.add("ghp_readonly")
    hosted.tokens.add("ghp_readonly")
    with pytest.raises(GitHubError, match="refused to comment on acme/textutil#7: Resource not accessible by "
                                          "personal access token — check the token's permissions"):
        client(hosted, "ghp_readonly").comment_on_issue(REF, "hi")
