"""A local stand-in for the GitHub REST API: the documented endpoints smallcoder uses, errors included.

Runs on 127.0.0.1 on a free port in a background thread. Each repository may be tied to a real bare
git repository, so a pull request can only be opened for a branch that was really pushed there.
Every request is recorded for the tests to inspect.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DOCS = "https://docs.github.com/rest"
LOGIN = "smallcoder-bot"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeRepo:
    owner: str
    name: str
    bare: Path | None = None
    private: bool = False
    default_branch: str = "main"
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    # pull request reviews and their line comments (the review endpoints); diff_lines: PR number ->
    # path -> new-side lines shown in its diff, where line comments may go (unset: any line)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    review_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    diff_lines: dict[int, dict[str, set[int]]] = field(default_factory=dict)


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class FakeGitHub:
    def __init__(self, tokens: tuple[str, ...] = ("ghp_valid",), read_only: tuple[str, ...] = ()) -> None:
        self.tokens = set(tokens) | set(read_only)
        self.read_only = set(read_only)  # may read, but writes get 403 (a fine-grained token without write access)
        self.repos: dict[str, FakeRepo] = {}
        self.requests: list[Recorded] = []
        self.rate_limited = False
        self.stale_pull_list = False  # the next pull list misses open PRs (two runs racing)
        self._next_id = 1000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- test set-up -------------------------------------------------------------------------
    def add_repo(self, full_name: str, **kwargs: Any) -> FakeRepo:
        owner, name = full_name.split("/")
        self.repos[full_name] = repo = FakeRepo(owner, name, **kwargs)
        return repo

    def add_issue(self, full_name: str, number: int, title: str, body: str, *, state: str = "open",
                  labels: tuple[str, ...] = (), author: str = "reporter",
                  comments: tuple[tuple[str, str], ...] = (), is_pull: bool = False) -> None:
        repo = self.repos[full_name]
        issue = {
            "id": self._id(), "number": number, "title": title, "body": body, "state": state, "locked": False,
            "url": f"{self.url}/repos/{full_name}/issues/{number}",
            "html_url": f"{self.url}/{full_name}/issues/{number}",
            "comments_url": f"{self.url}/repos/{full_name}/issues/{number}/comments",
            "labels": [{"id": self._id(), "name": n, "color": "ededed"} for n in labels],
            "user": _user(author), "comments": len(comments),
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z", "closed_at": None,
        }
        if is_pull:
            issue["pull_request"] = {"url": f"{self.url}/repos/{full_name}/pulls/{number}"}
        repo.issues[number] = issue
        repo.comments[number] = []
        for who, text in comments:
            self._comment(repo, number, who, text)

    def calls(self, method: str, pattern: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    # --- endpoints ---------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
               body: Any) -> tuple[int, Any]:
        login = self._authenticate(headers)
        if self.rate_limited:
            reset = str(int(time.time()) + 600)
            raise ApiError(403, {"message": f"API rate limit exceeded for user ID 1. (But here's the good news: "
                                            f"Authenticated requests get a higher rate limit.)",
                                 "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api"},
                           {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "0", "x-ratelimit-used": "60",
                            "x-ratelimit-reset": reset, "x-ratelimit-resource": "core"})
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        repo = self.repos.get(m.group(1)) if m else None
        if repo is None or (repo.private and login is None):
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})
        rest = (m.group(2) if m else "") or ""
        if method != "GET" and login is None:
            raise ApiError(401, {"message": "Requires authentication", "documentation_url": DOCS, "status": "401"})
        if method != "GET" and headers.get("authorization", "").split(" ")[-1] in self.read_only:
            raise ApiError(403, {"message": "Resource not accessible by personal access token",
                                 "documentation_url": DOCS, "status": "403"}, {"x-ratelimit-remaining": "4999"})
        routes = [
            ("GET", r"", lambda: self._repo_json(repo)),
            ("GET", r"/issues/(\d+)", lambda n: self._issue(repo, n)),
            ("GET", r"/issues/(\d+)/comments", lambda n: (self._issue(repo, n), repo.comments[int(n)])[1]),
            ("POST", r"/issues/(\d+)/comments", lambda n: (201, self._post_comment(repo, n, login, body))),
            ("GET", r"/pulls", lambda: self._list_pulls(repo, query)),
            ("POST", r"/pulls", lambda: (201, self._create_pull(repo, body, login))),
            ("PATCH", r"/pulls/(\d+)", lambda n: self._edit_pull(repo, n, body)),
            ("GET", r"/pulls/(\d+)", lambda n: self._pull(repo, n)),
            ("GET", r"/pulls/(\d+)/reviews", lambda n: (self._pull(repo, n), repo.reviews.get(int(n), []))[1]),
            ("POST", r"/pulls/(\d+)/reviews", lambda n: self._create_review(repo, n, body, login)),
            ("PUT", r"/pulls/(\d+)/reviews/(\d+)", lambda n, r: self._update_review(repo, n, r, body)),
            ("GET", r"/pulls/(\d+)/comments",
             lambda n: (self._pull(repo, n), repo.review_comments.get(int(n), []))[1]),
            ("POST", r"/pulls/(\d+)/comments", lambda n: (201, self._create_review_comment(repo, n, body, login))),
            ("PATCH", r"/pulls/comments/(\d+)", lambda c: self._edit_review_comment(repo, c, body)),
            ("DELETE", r"/pulls/comments/(\d+)", lambda c: (204, self._delete_review_comment(repo, c))),
        ]
        for verb, pattern, action in routes:
            hit = re.fullmatch(pattern, rest)
            if verb == method and hit:
                out = action(*hit.groups())
                return out if isinstance(out, tuple) else (200, out)
        raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})

    def _authenticate(self, headers: dict[str, str]) -> str | None:
        auth = headers.get("authorization", "")
        if not auth:
            return None
        token = auth.split(" ", 1)[-1].strip()
        if token not in self.tokens:
            raise ApiError(401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"})
        return LOGIN

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        full = f"{repo.owner}/{repo.name}"
        return {"id": 1, "name": repo.name, "full_name": full, "private": repo.private,
                "default_branch": repo.default_branch, "owner": _user(repo.owner),
                "url": f"{self.url}/repos/{full}", "html_url": f"{self.url}/{full}"}

    def _issue(self, repo: FakeRepo, number: str) -> dict[str, Any]:
        issue = repo.issues.get(int(number))
        if issue is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": f"{DOCS}/issues/issues#get-an-issue",
                                 "status": "404"})
        return issue

    def _post_comment(self, repo: FakeRepo, number: str, login: str | None, body: Any) -> dict[str, Any]:
        self._issue(repo, number)
        if not isinstance(body, dict) or not body.get("body"):
            raise ApiError(422, {"message": "Validation Failed", "errors": [{"resource": "IssueComment",
                                 "field": "body", "code": "missing_field"}], "documentation_url": DOCS})
        return self._comment(repo, int(number), login or "", body["body"])

    def _comment(self, repo: FakeRepo, number: int, login: str, text: str) -> dict[str, Any]:
        cid = self._id()
        full = f"{repo.owner}/{repo.name}"
        comment = {"id": cid, "body": text, "user": _user(login),
                   "url": f"{self.url}/repos/{full}/issues/comments/{cid}",
                   "html_url": f"{self.url}/{full}/issues/{number}#issuecomment-{cid}",
                   "created_at": "2025-01-02T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z"}
        repo.comments[number].append(comment)
        repo.issues[number]["comments"] = len(repo.comments[number])
        return comment

    def _list_pulls(self, repo: FakeRepo, query: dict[str, str]) -> list[dict[str, Any]]:
        if self.stale_pull_list:
            self.stale_pull_list = False
            return []
        state = query.get("state", "open")
        pulls = [p for p in repo.pulls.values() if state == "all" or p["state"] == state]
        if "head" in query:
            pulls = [p for p in pulls if p["head"]["label"] == query["head"]]
        if "base" in query:
            pulls = [p for p in pulls if p["base"]["ref"] == query["base"]]
        return pulls

    def _create_pull(self, repo: FakeRepo, body: Any, login: str | None) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        missing = [f for f in ("title", "head", "base") if not body.get(f)]
        if missing:
            raise _invalid([{"resource": "PullRequest", "field": f, "code": "missing_field"} for f in missing])
        head, base = body["head"].split(":")[-1], body["base"]
        head_sha, base_sha = self._branch_sha(repo, head), self._branch_sha(repo, base)
        if head_sha is None or base_sha is None:
            raise _invalid([{"resource": "PullRequest", "field": "head" if head_sha is None else "base",
                             "code": "invalid"}])
        label = f"{repo.owner}:{head}"
        if any(p["head"]["label"] == label and p["base"]["ref"] == base and p["state"] == "open"
               for p in repo.pulls.values()):
            raise _invalid([{"resource": "PullRequest", "code": "custom",
                             "message": f"A pull request already exists for {label}."}])
        number = max([0, *repo.issues, *repo.pulls]) + 1
        full = f"{repo.owner}/{repo.name}"
        repo.pulls[number] = pr = {
            "id": self._id(), "number": number, "state": "open", "title": body["title"], "body": body.get("body"),
            "draft": bool(body.get("draft", False)), "merged": False, "user": _user(login or ""),
            "url": f"{self.url}/repos/{full}/pulls/{number}", "html_url": f"{self.url}/{full}/pull/{number}",
            "head": {"ref": head, "label": label, "sha": head_sha, "user": _user(repo.owner)},
            "base": {"ref": base, "label": f"{repo.owner}:{base}", "sha": base_sha, "user": _user(repo.owner)},
        }
        return pr

    def _edit_pull(self, repo: FakeRepo, number: str, body: Any) -> dict[str, Any]:
        pr = repo.pulls.get(int(number))
        if pr is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})
        for key in ("title", "body", "state"):
            if isinstance(body, dict) and key in body:
                pr[key] = body[key]
        sha = self._branch_sha(repo, pr["head"]["ref"])
        if sha:
            pr["head"]["sha"] = sha
        return pr

    # --- pull request reviews (docs.github.com/rest/pulls/reviews, /rest/pulls/comments) --------
    def add_pull(self, full_name: str, number: int, *, head: str = "feature", base: str = "main",
                 head_sha: str = "1" * 40, base_sha: str = "0" * 40,
                 diff_lines: dict[str, set[int]] | None = None) -> dict[str, Any]:
        """An open pull request without a bare repository behind it (for the review endpoints)."""
        repo = self.repos[full_name]
        full = full_name
        repo.pulls[number] = pr = {
            "id": self._id(), "number": number, "state": "open", "title": f"PR {number}", "body": "",
            "draft": False, "merged": False, "user": _user("contributor"),
            "url": f"{self.url}/repos/{full}/pulls/{number}", "html_url": f"{self.url}/{full}/pull/{number}",
            "head": {"ref": head, "label": f"{repo.owner}:{head}", "sha": head_sha, "user": _user(repo.owner)},
            "base": {"ref": base, "label": f"{repo.owner}:{base}", "sha": base_sha, "user": _user(repo.owner)},
        }
        if diff_lines is not None:
            repo.diff_lines[number] = diff_lines
        return pr

    def _pull(self, repo: FakeRepo, number: str) -> dict[str, Any]:
        pr = repo.pulls.get(int(number))
        if pr is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": f"{DOCS}/pulls/pulls#get-a-pull-request",
                                 "status": "404"})
        return pr

    def _line_error(self, repo: FakeRepo, number: int, c: dict[str, Any]) -> str | None:
        """GitHub refuses a line comment outside the diff (a 422), as it documents."""
        if not c.get("path") or not isinstance(c.get("line"), int):
            return "path and line are required"
        lines = repo.diff_lines.get(number)
        if lines is None:
            return None
        shown = lines.get(c["path"], set())
        wanted = range(int(c.get("start_line") or c["line"]), c["line"] + 1)
        return None if all(n in shown for n in wanted) else "Line could not be resolved"

    def _create_review(self, repo: FakeRepo, number: str, body: Any, login: str | None) -> dict[str, Any]:
        pr = self._pull(repo, number)
        body = body if isinstance(body, dict) else {}
        event = body.get("event")
        if event not in (None, "COMMENT", "APPROVE", "REQUEST_CHANGES"):
            raise _invalid([f"event {event} is not one of COMMENT, APPROVE, REQUEST_CHANGES"])
        if event in ("COMMENT", "REQUEST_CHANGES") and not body.get("body") and not body.get("comments"):
            raise _invalid(["Body is required for this event"])
        comments = body.get("comments") or []
        problems = [p for c in comments if (p := self._line_error(repo, int(number), c))]
        if problems:
            raise ApiError(422, {"message": "Unprocessable Entity", "errors": problems,
                                 "documentation_url": f"{DOCS}/pulls/reviews#create-a-review-for-a-pull-request",
                                 "status": "422"})
        rid = self._id()
        full = f"{repo.owner}/{repo.name}"
        review = {"id": rid, "user": _user(login or ""), "body": body.get("body") or "",
                  "state": {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED"}.get(event or "", "COMMENTED")
                  if event else "PENDING",
                  "commit_id": body.get("commit_id") or pr["head"]["sha"],
                  "html_url": f"{self.url}/{full}/pull/{number}#pullrequestreview-{rid}",
                  "pull_request_url": pr["url"], "submitted_at": "2025-01-03T00:00:00Z"}
        repo.reviews.setdefault(int(number), []).append(review)
        for c in comments:
            self._add_review_comment(repo, int(number), {**c, "commit_id": review["commit_id"]}, login, rid)
        return review

    def _update_review(self, repo: FakeRepo, number: str, review_id: str, body: Any) -> dict[str, Any]:
        self._pull(repo, number)
        review = next((r for r in repo.reviews.get(int(number), []) if r["id"] == int(review_id)), None)
        if review is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})
        if not isinstance(body, dict) or not body.get("body"):
            raise _invalid([{"resource": "PullRequestReview", "field": "body", "code": "missing_field"}])
        review["body"] = body["body"]
        return review

    def _create_review_comment(self, repo: FakeRepo, number: str, body: Any, login: str | None) -> dict[str, Any]:
        self._pull(repo, number)
        body = body if isinstance(body, dict) else {}
        missing = [f for f in ("body", "commit_id", "path") if not body.get(f)]
        if missing:
            raise _invalid([{"resource": "PullRequestReviewComment", "field": f, "code": "missing_field"}
                            for f in missing])
        problem = self._line_error(repo, int(number), body)
        if problem:
            raise _invalid([{"resource": "PullRequestReviewComment", "code": "custom",
                             "message": "pull_request_review_thread.line must be part of the diff"}])
        return self._add_review_comment(repo, int(number), body, login, self._id())

    def _add_review_comment(self, repo: FakeRepo, number: int, c: dict[str, Any], login: str | None,
                            review_id: int) -> dict[str, Any]:
        cid = self._id()
        full = f"{repo.owner}/{repo.name}"
        comment = {"id": cid, "pull_request_review_id": review_id, "body": c["body"], "path": c["path"],
                   "line": c["line"], "start_line": c.get("start_line"), "side": c.get("side", "RIGHT"),
                   "commit_id": c.get("commit_id"), "user": _user(login or ""),
                   "url": f"{self.url}/repos/{full}/pulls/comments/{cid}",
                   "html_url": f"{self.url}/{full}/pull/{number}#discussion_r{cid}",
                   "pull_request_url": f"{self.url}/repos/{full}/pulls/{number}",
                   "created_at": "2025-01-03T00:00:00Z", "updated_at": "2025-01-03T00:00:00Z"}
        repo.review_comments.setdefault(number, []).append(comment)
        return comment

    def _find_review_comment(self, repo: FakeRepo, comment_id: str) -> tuple[int, dict[str, Any]]:
        for number, comments in repo.review_comments.items():
            for c in comments:
                if c["id"] == int(comment_id):
                    return number, c
        raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})

    def _edit_review_comment(self, repo: FakeRepo, comment_id: str, body: Any) -> dict[str, Any]:
        _, comment = self._find_review_comment(repo, comment_id)
        if not isinstance(body, dict) or not body.get("body"):
            raise _invalid([{"resource": "PullRequestReviewComment", "field": "body", "code": "missing_field"}])
        comment["body"] = body["body"]
        return comment

    def _delete_review_comment(self, repo: FakeRepo, comment_id: str) -> None:
        number, comment = self._find_review_comment(repo, comment_id)
        repo.review_comments[number].remove(comment)

    def _branch_sha(self, repo: FakeRepo, branch: str) -> str | None:
        if repo.bare is None:
            return "0" * 40
        proc = subprocess.run(["git", "rev-parse", "--verify", "-q", f"refs/heads/{branch}"], cwd=repo.bare,
                              capture_output=True, text=True, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def _id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 100_000, "type": "User"}


def _invalid(errors: list[dict[str, Any]]) -> ApiError:
    return ApiError(422, {"message": "Validation Failed", "errors": errors,
                          "documentation_url": f"{DOCS}/pulls/pulls#create-a-pull-request", "status": "422"})


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            with fake._lock:
                fake.requests.append(Recorded(self.command, parts.path, query, headers, body))
            extra: dict[str, str] = {}
            try:
                status, payload = fake.handle(self.command, parts.path, query, headers, body)
            except ApiError as e:
                status, payload, extra = e.status, e.body, e.headers
            data = b"" if status == 204 else json.dumps(payload).encode()  # 204: no body, as GitHub sends
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve
        do_PUT = do_DELETE = _serve  # the review endpoints

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet test output

    return Handler
