"""Plain records of what smallcoder reads from and writes to GitHub (no client objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field

from smallcoder.github.refs import IssueRef

# Put in every comment and PR body smallcoder writes, so later runs can recognise (and skip) its own words.
MARKER = "<!-- smallcoder -->"


@dataclass
class IssueComment:
    author: str
    body: str

    @property
    def by_smallcoder(self) -> bool:
        return MARKER in self.body


@dataclass
class Issue:
    ref: IssueRef
    title: str
    body: str
    state: str  # open | closed
    labels: list[str] = field(default_factory=list)
    author: str = ""
    url: str = ""
    comments: list[IssueComment] = field(default_factory=list)


@dataclass
class PullRequest:
    number: int
    url: str
    head: str  # branch name
    base: str
    draft: bool = False
    created: bool = True  # False: an existing PR of ours was updated


@dataclass
class PostedComment:
    id: int
    url: str
