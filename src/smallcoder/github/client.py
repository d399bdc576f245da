"""The few GitHub REST calls smallcoder makes, through PyGithub, with every failure turned into one clear line.

    client = GitHubClient.for_issue(ref)     # API URL from GITHUB_API_URL or the issue's host; token discovered
    issue = client.get_issue(ref)
    pr = client.open_or_update_pull(ref, branch, base, title, body, draft=False)
    client.comment_on_issue(ref, body)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from smallcoder.errors import ConfigError
from smallcoder.github.errors import TOKEN_HELP, GitHubError, is_rate_limited, rate_limit_message
from smallcoder.github.models import Issue, IssueComment, PostedComment, PullRequest
from smallcoder.github.refs import IssueRef, api_base_url
from smallcoder.github.token import Token, find_token

MAX_COMMENTS = 30  # the newest ones; older discussion rarely changes what the bug is


def _pygithub() -> Any:
    try:
        import github
    except ImportError as e:
        raise ConfigError("GitHub support is not installed — run `pip install 'smallcoder[github]'`") from e
    return github


class GitHubClient:
    def __init__(self, api_url: str, token: Token | None, *, timeout: int = 30) -> None:
        gh = _pygithub()
        from urllib3.util.retry import Retry

        self.api_url, self.token = api_url.rstrip("/"), token
        # Retry only transient server errors; a rate limit is reported at once rather than slept through.
        retry = Retry(total=3, connect=1, backoff_factor=0.5, status_forcelist=(500, 502, 503, 504),
                      allowed_methods=frozenset({"GET"}), raise_on_status=False)
        auth = gh.Auth.Token(token.value) if token else None
        self._gh = gh.Github(auth=auth, base_url=self.api_url, timeout=timeout, retry=retry, lazy=True,
                             seconds_between_requests=None, seconds_between_writes=None,
                             user_agent="smallcoder")

    @classmethod
    def for_issue(cls, ref: IssueRef) -> GitHubClient:
        return cls(api_base_url(ref.host), find_token(ref.host))

    def require_token(self, action: str) -> None:
        if self.token is None:
            raise GitHubError(f"no GitHub token to {action} — {TOKEN_HELP}")

    def _repo(self, ref: IssueRef) -> Any:
        return self._gh.get_repo(ref.full_name)  # lazy: no request until a call needs one

    def get_issue(self, ref: IssueRef, max_comments: int = MAX_COMMENTS) -> Issue:
        not_found = f"issue {ref} not found — check the number and the repository" + (
            "; if the repository is private, the token needs read access to its issues" if self.token
            else f"; if the repository is private, {TOKEN_HELP}")
        with self._errors(f"read issue {ref}", not_found):
            raw = self._repo(ref).get_issue(ref.number)
            if raw.pull_request is not None:
                raise GitHubError(f"{ref} is a pull request, not an issue — pass the issue it should fix")
            comments = [IssueComment(c.user.login if c.user else "", c.body or "") for c in raw.get_comments()]
            return Issue(ref=ref, title=raw.title or "", body=raw.body or "", state=raw.state or "open",
                         labels=[label.name for label in raw.labels], author=raw.user.login if raw.user else "",
                         url=raw.html_url or "", comments=comments[-max_comments:])

    def default_branch(self, ref: IssueRef) -> str:
        with self._errors(f"read repository {ref.full_name}", f"repository {ref.full_name} not found"):
            return str(self._repo(ref).default_branch)

    def find_open_pull(self, ref: IssueRef, branch: str) -> PullRequest | None:
        """Our open PR from `branch` (same repository), if there is one: re-runs update it instead of adding another."""
        with self._errors(f"list pull requests of {ref.full_name}", f"repository {ref.full_name} not found"):
            for pr in self._repo(ref).get_pulls(state="open", head=f"{ref.owner}:{branch}"):
                return _pull(pr, created=False)
        return None

    def open_or_update_pull(self, ref: IssueRef, branch: str, base: str, title: str, body: str,
                            *, draft: bool = False) -> PullRequest:
        self.require_token("open a pull request")
        write_help = (f"repository {ref.full_name} not found, or the token may not open pull requests there "
                      "(it needs Pull requests: write)")
        existing = self.find_open_pull(ref, branch)
        if existing is None:
            try:
                with self._errors(f"open a pull request in {ref.full_name}", write_help, passthrough=(422,)):
                    pr = self._repo(ref).create_pull(base=base, head=branch, title=title, body=body, draft=draft)
                    return _pull(pr, created=True)
            except _Unprocessable as e:
                if "already exists" not in e.text:
                    raise GitHubError(f"GitHub refused the pull request from {branch} into {base}: {e.text}") from e
                existing = self.find_open_pull(ref, branch)  # opened meanwhile (another run): update that one
                if existing is None:
                    raise GitHubError(f"GitHub says a pull request from {branch} already exists, "
                                      "but it is not open — reopen or delete it and retry") from e
        with self._errors(f"update pull request #{existing.number}", write_help):
            self._repo(ref).get_pull(existing.number).edit(title=title, body=body)
        return existing

    def comment_on_issue(self, ref: IssueRef, body: str) -> PostedComment:
        self.require_token("comment on the issue")
        with self._errors(f"comment on {ref}", f"issue {ref} not found, or the token may not comment on it "
                                               "(it needs Issues: write)"):
            comment = self._repo(ref).get_issue(ref.number).create_comment(body)
            return PostedComment(int(comment.id), str(comment.html_url or ""))

    @contextmanager
    def _errors(self, action: str, not_found: str, *, passthrough: tuple[int, ...] = ()) -> Iterator[None]:
        gh = _pygithub()
        import requests

        try:
            yield
        except gh.GithubException as e:
            status, headers = e.status, e.headers or {}
            message = _message(e.data)
            if status in passthrough:
                raise _Unprocessable(message) from e
            if status == 401:
                source = f" from {self.token.source}" if self.token else ""
                raise GitHubError(f"GitHub rejected the token{source} (401 {message or 'Bad credentials'}) — "
                                  f"it may be expired or revoked; {TOKEN_HELP}") from e
            if is_rate_limited(status, headers, message):
                raise GitHubError(rate_limit_message(headers, self.token is not None)) from e
            if status == 404:
                raise GitHubError(not_found) from e
            if status == 403:
                raise GitHubError(f"GitHub refused to {action}: {message or 'forbidden'} — "
                                  "check the token's permissions for this repository") from e
            raise GitHubError(f"could not {action}: GitHub answered {status} {message}".rstrip()) from e
        except requests.RequestException as e:
            raise GitHubError(f"cannot reach the GitHub API at {self.api_url} to {action} "
                              f"({type(e).__name__}) — check the network or GITHUB_API_URL") from e


class _Unprocessable(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _message(data: Any) -> str:
    """GitHub's error text, with the details of a 422's `errors` list."""
    if not isinstance(data, dict):
        return str(data or "").strip()
    parts = [str(data.get("message", "")).strip()]
    for err in data.get("errors") or []:
        if isinstance(err, dict):
            detail = err.get("message") or " ".join(str(err.get(k, "")) for k in ("field", "code"))
        else:
            detail = str(err)
        if detail and detail.strip():
            parts.append(detail.strip())
    return ": ".join(p for p in parts if p)


def _pull(pr: Any, *, created: bool) -> PullRequest:
    return PullRequest(number=int(pr.number), url=str(pr.html_url or ""), head=str(pr.head.ref), base=str(pr.base.ref),
                       draft=bool(pr.draft), created=created)


def comment_on_issue(ref: IssueRef, body: str, client: GitHubClient | None = None) -> PostedComment:
    """Post `body` on the issue (API URL and token discovered as for any call)."""
    return (client or GitHubClient.for_issue(ref)).comment_on_issue(ref, body)
