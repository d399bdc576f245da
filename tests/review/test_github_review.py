"""Posting a review through PyGithub against the local fake of GitHub's review endpoints."""

import pytest

from smallcoder.github.client import GitHubClient
from smallcoder.github.errors import GitHubError
from smallcoder.github.refs import IssueRef
from smallcoder.github.review import REVIEW_MARKER, parse_pull_ref, post_review, pull_info
from smallcoder.review import Finding
from tests.github.fake_github import FakeGitHub

TOKEN = "ghp_valid"
REF = IssueRef("acme", "stats", 5)
SCENARIO = "mean([]) raises ZeroDivisionError instead of returning 0.0"


def finding(**kw):
    base = dict(path="stats.py", start_line=14, end_line=15, severity="high", category="bug",
                title="empty list divides by zero", scenario=SCENARIO, confidence=0.9)
    return Finding(**{**base, **kw})


@pytest.fixture
def fake(monkeypatch):
    with FakeGitHub(tokens=(TOKEN,), read_only=("ghp_readonly",)) as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        fake.add_repo("acme/stats")
        fake.add_pull("acme/stats", 5, head_sha="a" * 40, diff_lines={"stats.py": set(range(10, 18))})
        yield fake


def client(fake, token=TOKEN):
    from smallcoder.github.token import Token
    return GitHubClient(fake.url, Token(token, "test"))


def test_first_run_creates_one_review_with_line_comments_and_suggestions(fake):
    f = finding(suggestion="    return total(values) / count if count else 0.0")
    posted = post_review(client(fake), REF, [f], "1 finding", "a" * 40)
    assert posted.created and posted.comments_added == 1
    (review,) = fake.repos["acme/stats"].reviews[5]
    assert REVIEW_MARKER in review["body"] and review["state"] == "COMMENTED" and review["commit_id"] == "a" * 40
    (comment,) = fake.repos["acme/stats"].review_comments[5]
    assert (comment["path"], comment["start_line"], comment["line"], comment["side"]) == ("stats.py", 14, 15, "RIGHT")
    assert "```suggestion\n    return total(values) / count if count else 0.0\n```" in comment["body"]


def test_second_run_updates_its_own_review_instead_of_duplicating(fake):
    gh = client(fake)
    kept, gone = finding(), finding(title="count shadows a builtin", start_line=12, end_line=12,
                                    scenario="count() calls later in the function fail with TypeError")
    post_review(gh, REF, [kept, gone], "2 findings", "a" * 40)
    fake.repos["acme/stats"].reviews[5].insert(0, {"id": 1, "body": "LGTM from a human", "user": {"login": "h"},
                                                    "state": "COMMENTED", "pull_request_url": "x"})
    new = finding(title="total() of a generator is consumed twice", start_line=16, end_line=16,
                  scenario="mean(iter([1, 2])) returns 0 instead of 1.5")
    posted = post_review(gh, REF, [kept, new], "2 findings after the push", "b" * 40)
    assert not posted.created
    assert (posted.comments_added, posted.comments_updated, posted.comments_deleted) == (1, 0, 1)
    reviews = fake.repos["acme/stats"].reviews[5]
    ours = [r for r in reviews if REVIEW_MARKER in r["body"]]
    assert len(ours) == 1 and ours[0]["body"].startswith("2 findings after the push")
    lines = sorted(c["line"] for c in fake.repos["acme/stats"].review_comments[5])
    assert lines == [15, 16]
    assert fake.calls("PUT", r"/repos/acme/stats/pulls/5/reviews/\d+")
    assert fake.calls("DELETE", r"/repos/acme/stats/pulls/comments/\d+")


def test_nothing_to_say_posts_nothing(fake):
    posted = post_review(client(fake), REF, [], "no findings", "a" * 40)
    assert posted.review_id is None and not fake.calls("POST", r".*/reviews")
    assert "nothing posted" in posted.describe()


def test_refusals_are_one_line(fake):
    with pytest.raises(GitHubError, match="refused"):
        post_review(client(fake, "ghp_readonly"), REF, [finding()], "1", "a" * 40)
    with pytest.raises(GitHubError, match="not found"):
        post_review(client(fake), IssueRef("acme", "stats", 99), [finding()], "1", "a" * 40)
    with pytest.raises(GitHubError, match="Line could not be resolved"):
        post_review(client(fake), REF, [finding(start_line=30, end_line=30)], "1", "a" * 40)


def test_pull_info_and_refs(fake):
    info = pull_info(client(fake), REF)
    assert (info.number, info.head_sha, info.base_sha) == (5, "a" * 40, "0" * 40)
    assert parse_pull_ref("https://github.com/acme/stats/pull/5/files") == IssueRef("acme", "stats", 5)
    short = parse_pull_ref("acme/stats#5")
    assert (short.full_name, short.number) == ("acme/stats", 5)
    with pytest.raises(GitHubError, match="not a pull request URL"):
        parse_pull_ref("https://github.com/acme/stats/issues/5")
