"""Pushing the run's commit to the issue's branch on the remote, with the user's own git credentials.

Re-runs on the same issue replace the branch's commit (force-with-lease against what
the remote held a moment before), so one branch, and one pull request, follow the issue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from smallcoder.errors import WorkspaceError
from smallcoder.github.errors import GitHubError
from smallcoder.workspace.git import git, git_out

AUTH_HINTS = ("authentication failed", "could not read username", "permission denied", "403", "401",
              "could not read from remote repository", "terminal prompts disabled")


@dataclass
class Pushed:
    remote: str
    branch: str
    commit: str
    previous: str | None  # what the remote branch held before, None when it is new

    @property
    def changed(self) -> bool:
        return self.previous != self.commit


def issue_branch(number: int) -> str:
    """One stable branch per issue, so a re-run updates it instead of starting another."""
    return f"smallcoder/issue-{number}"


def remote_head(repo: Path, branch: str, remote: str = "origin") -> str | None:
    """The commit `branch` points to on the remote (asked over the wire, not from stale tracking refs)."""
    try:
        out = git_out(["ls-remote", "--heads", remote, f"refs/heads/{branch}"], repo)
    except WorkspaceError as e:
        raise _push_error(remote, e) from e
    return out.split()[0] if out else None


def push_commit(repo: Path, commit: str, branch: str, remote: str = "origin") -> Pushed:
    """Make `remote`'s `branch` point at `commit`. Refuses if the branch moved between our look and our push."""
    if git(["remote", "get-url", remote], repo, ok_codes=(0, 2, 128)).returncode != 0:
        raise GitHubError(f"{repo} has no `{remote}` remote to push to — add it with `git remote add {remote} URL`")
    previous = remote_head(repo, branch, remote)
    if previous != commit:
        lease = f"--force-with-lease=refs/heads/{branch}:{previous or ''}"
        try:
            # No hooks: the push is unattended, and a pre-push hook that prompts would hang it.
            git(["push", "--quiet", "--no-verify", lease, remote, f"{commit}:refs/heads/{branch}"], repo)
        except WorkspaceError as e:
            raise _push_error(remote, e) from e
    return Pushed(remote=remote, branch=branch, commit=commit, previous=previous)


def _push_error(remote: str, e: WorkspaceError) -> GitHubError:
    text = re.sub(r"(://)[^/@\s]+@", r"\1***@", str(e))  # a remote URL may carry a token: never show it
    low = text.lower()
    if "stale info" in low or "rejected" in low:
        return GitHubError(f"the branch on `{remote}` changed while smallcoder was pushing — run it again ({text})")
    if any(h in low for h in AUTH_HINTS):
        return GitHubError(f"git could not authenticate to `{remote}` — set up credentials for it (an SSH key, "
                           f"`gh auth setup-git`, or a credential helper); nothing was pushed ({text})")
    return GitHubError(f"pushing to `{remote}` failed — nothing was pushed ({text})")
