"""Post review findings as ONE pull-request review, and keep it current on later pushes.

    ref = parse_pull_ref("https://github.com/acme/app/pull/12")
    client = GitHubClient.for_issue(ref)
    pull = pull_info(client, ref)                     # base and head commits of the PR
    posted = post_review(client, ref, findings, summary, pull.head_sha)

The review and each line comment carry hidden markers, so a re-run finds its own review (among
humans' and other bots') and updates it: the summary is edited, comments whose finding is still
there are kept (edited if the words changed), comments of findings that are gone are deleted, new
findings get new comments. With no findings and no earlier review, nothing is posted.
Endpoints: docs.github.com/rest/pulls/reviews and docs.github.com/rest/pulls/comments.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from smallcoder.github.client import GitHubClient
from smallcoder.github.errors import GitHubError
from smallcoder.github.refs import IssueRef, parse_issue_ref
from smallcoder.review import Finding
from smallcoder.review.formats import message

REVIEW_MARKER = "<!-- smallcoder-review -->"
_COMMENT_MARKER = re.compile(r"<!-- smallcoder-finding:([0-9a-f]{16}) -->")
_PULL_URL = re.compile(r"^/([^/]+)/([^/]+)/pull/(\d+)(?:/.*)?$")


@dataclass(frozen=True)
class PullInfo:
    number: int
    base_sha: str
    head_sha: str
    head_ref: str
    url: str


@dataclass(frozen=True)
class PostedReview:
    """What --post did. review_id is None when nothing was posted (nothing to say)."""

    review_id: int | None
    url: str
    created: bool
    comments_added: int = 0
    comments_updated: int = 0
    comments_deleted: int = 0

    def describe(self) -> str:
        if self.review_id is None:
            return "nothing posted: no findings and no earlier review"
        verb = "posted" if self.created else "updated"
        return (f"{verb} review {self.url} ({self.comments_added} comments added, {self.comments_updated} updated, "
                f"{self.comments_deleted} deleted)")


def parse_pull_ref(text: str, repo_path: Path | None = None) -> IssueRef:
    """`https://HOST/OWNER/REPO/pull/N`, `OWNER/REPO#N`, or `N` (repository from `origin`). Raises GitHubError."""
    text = text.strip()
    if "://" in text:
        parts = urlsplit(text)
        m = _PULL_URL.match(parts.path)
        if not parts.hostname or not m:
            raise GitHubError(f"{text} is not a pull request URL — expected https://HOST/OWNER/REPO/pull/N")
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        return IssueRef(m.group(1), m.group(2).removesuffix(".git"), int(m.group(3)), host)
    return parse_issue_ref(text, repo_path)


def pull_info(client: GitHubClient, ref: IssueRef) -> PullInfo:
    """The pull request's base and head commits (GET /repos/O/R/pulls/N)."""
    with client._errors(f"read pull request {ref}", f"pull request {ref} not found — check the number"):
        pr = client._repo(ref).get_pull(ref.number)
        return PullInfo(int(pr.number), str(pr.base.sha), str(pr.head.sha), str(pr.head.ref), str(pr.html_url or ""))


def comment_body(f: Finding) -> str:
    """A line comment: severity, category, the failure, a GitHub suggestion block, and the hidden marker."""
    body = f"**{f.severity} {f.category.replace('_', ' ')}**: {message(f)}"
    if f.suggestion:
        body += "\n\n```suggestion\n" + f.suggestion.rstrip("\n") + "\n```"
    return body + f"\n\n<!-- smallcoder-finding:{finding_id(f)} -->"


def finding_id(f: Finding) -> str:
    """Stable across pushes while the finding is the same problem: its file and title (not its line)."""
    return hashlib.sha256(f"{f.path}\0{' '.join(f.title.lower().split())}".encode()).hexdigest()[:16]


def _placement(f: Finding) -> dict[str, Any]:
    where: dict[str, Any] = {"path": f.path, "line": f.end_line, "side": "RIGHT"}
    if f.end_line > f.start_line:
        where.update(start_line=f.start_line, start_side="RIGHT")
    return where


def post_review(client: GitHubClient, ref: IssueRef, findings: list[Finding], summary: str,
                head_sha: str) -> PostedReview:
    """Create or update smallcoder's review on pull request `ref` (see the module docstring).

    Raises GitHubError (one line) for a missing token, no access, or a comment GitHub refuses."""
    client.require_token("post a pull-request review")
    write_help = (f"pull request {ref} not found, or the token may not review it "
                  "(it needs Pull requests: write)")
    body = summary + "\n\n" + REVIEW_MARKER
    with client._errors(f"review pull request {ref}", write_help):
        pr = client._repo(ref).get_pull(ref.number)
        own = next((r for r in pr.get_reviews() if REVIEW_MARKER in (r.body or "")), None)
        if own is None:
            if not findings:
                return PostedReview(None, "", created=False)
            comments = [{**_placement(f), "body": comment_body(f)} for f in findings]
            review = pr.create_review(commit=client._repo(ref).get_commit(head_sha), body=body, event="COMMENT",
                                      comments=comments)
            return PostedReview(int(review.id), str(review.html_url or ""), True, comments_added=len(comments))
        review_id, url = int(own.id), str(own.html_url or "")
        if (own.body or "") != body:
            own.edit(body)
        earlier: dict[str, Any] = {}
        for c in pr.get_review_comments():
            m = _COMMENT_MARKER.search(c.body or "")
            if m:
                earlier[m.group(1)] = c
        added = updated = deleted = 0
        for f in findings:
            old = earlier.pop(finding_id(f), None)
            if old is not None and old.path == f.path and old.line == f.end_line:
                if old.body != comment_body(f):
                    old.edit(comment_body(f))
                    updated += 1
                continue
            if old is not None:  # the same problem on another line: the old comment points to the wrong place
                old.delete()
                deleted += 1
            where = _placement(f)
            pr.create_review_comment(comment_body(f), client._repo(ref).get_commit(head_sha), where["path"],
                                     line=where["line"], side="RIGHT",
                                     **({"start_line": f.start_line, "start_side": "RIGHT"} if "start_line" in where else {}))
            added += 1
        for gone in earlier.values():
            gone.delete()
            deleted += 1
        return PostedReview(review_id, url, False, added, updated, deleted)
