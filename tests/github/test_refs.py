"""Issue references, remote URLs and the API URL."""

import pytest

from smallcoder.github import GitHubError, IssueRef, api_base_url, parse_issue_ref, parse_remote_url

from .conftest import git


@pytest.mark.parametrize("text, expected", [
    ("https://github.com/acme/textutil/issues/7", IssueRef("acme", "textutil", 7)),
    ("https://github.com/acme/textutil/issues/7/", IssueRef("acme", "textutil", 7)),
    ("https://ghe.example.com/team/tool.py/issues/12", IssueRef("team", "tool.py", 12, "ghe.example.com")),
    ("acme/textutil#7", IssueRef("acme", "textutil", 7)),
    ("  acme/text-util.git#70 ", IssueRef("acme", "text-util", 70)),
])
def test_parses_urls_and_short_refs(text, expected):
    assert parse_issue_ref(text) == expected


@pytest.mark.parametrize("text, message", [
    ("https://github.com/acme/textutil/pull/3", "pull request"),
    ("https://github.com/acme/textutil", "not an issue URL"),
    ("acme#3", "cannot read"),
    ("acme/textutil#0", "start at 1"),
    ("", "cannot read"),
])
def test_bad_references_say_what_is_expected(text, message):
    with pytest.raises(GitHubError, match=message):
        parse_issue_ref(text)


@pytest.mark.parametrize("url, expected", [
    ("https://github.com/acme/textutil.git", ("acme", "textutil", "github.com")),
    ("https://github.com/acme/textutil", ("acme", "textutil", "github.com")),
    ("git@github.com:acme/textutil.git", ("acme", "textutil", "github.com")),
    ("ssh://git@ghe.example.com:2222/acme/textutil.git", ("acme", "textutil", "ghe.example.com")),
    ("http://127.0.0.1:8080/acme/textutil", ("acme", "textutil", "127.0.0.1:8080")),
    ("/srv/git/textutil.git", None),
    ("https://github.com/only-owner", None),
])
def test_remote_urls(url, expected):
    assert parse_remote_url(url) == expected


def test_bare_number_takes_the_repository_from_origin(tmp_path):
    git(tmp_path, "init", "-q")
    git(tmp_path, "remote", "add", "origin", "git@github.com:acme/textutil.git")
    assert parse_issue_ref("#7", tmp_path) == IssueRef("acme", "textutil", 7)
    assert parse_issue_ref("7", tmp_path) == IssueRef("acme", "textutil", 7)


def test_bare_number_with_a_local_origin_falls_back_to_github_repository(tmp_path, monkeypatch):
    git(tmp_path, "init", "-q")
    git(tmp_path, "remote", "add", "origin", str(tmp_path / "remote.git"))
    with pytest.raises(GitHubError, match="OWNER/REPO#N"):
        parse_issue_ref("7", tmp_path)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/textutil")  # what GitHub Actions sets
    assert parse_issue_ref("7", tmp_path) == IssueRef("acme", "textutil", 7)


def test_api_url_comes_from_the_environment_then_the_host(monkeypatch):
    assert api_base_url("github.com") == "https://api.github.com"
    assert api_base_url("ghe.example.com") == "https://ghe.example.com/api/v3"
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3/")
    assert api_base_url("github.com") == "https://ghe.example.com/api/v3"
