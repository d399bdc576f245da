"""GitHub: read an issue, push the fix to its branch, open or update the pull request, comment the outcome.

    ref = parse_issue_ref("owner/repo#12")             # or a URL, or "12" with the repo from `origin`
    client = GitHubClient.for_issue(ref)               # GITHUB_API_URL, GITHUB_TOKEN / GH_TOKEN / gh login
    issue = client.get_issue(ref)
    push_commit(repo, sha, issue_branch(12))           # plain `git push` with the user's credentials
    client.open_or_update_pull(ref, issue_branch(12), "main", title, body)
    comment_on_issue(ref, "…")

The whole flow (reproduce, fix, deliver) is smallcoder.session.issue.fix_issue.
Needs the `github` extra (PyGithub); importing this package without it is fine, using the client is not.
"""

from smallcoder.github.client import GitHubClient, comment_on_issue
from smallcoder.github.errors import GitHubError
from smallcoder.github.models import Issue, IssueComment, PostedComment, PullRequest
from smallcoder.github.notes import ModelNotes
from smallcoder.github.push import Pushed, issue_branch, push_commit
from smallcoder.github.refs import IssueRef, api_base_url, parse_issue_ref, parse_remote_url
from smallcoder.github.token import Token, find_token

__all__ = [
    "GitHubClient",
    "GitHubError",
    "Issue",
    "IssueComment",
    "IssueRef",
    "ModelNotes",
    "PostedComment",
    "PullRequest",
    "Pushed",
    "Token",
    "api_base_url",
    "comment_on_issue",
    "find_token",
    "issue_branch",
    "parse_issue_ref",
    "parse_remote_url",
    "push_commit",
]
