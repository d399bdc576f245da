"""Repo map: a ranked, token-budgeted summary of a repository's definitions.

    from smallcoder.repomap import build_repo_map
    repo_map = build_repo_map(root, mentioned_files=["src/stats.py"],
                              mentioned_idents=["mean"], token_budget=1024)
    prompt += repo_map.text

Importing this package loads no grammar and touches no disk; the first
build does both.
"""

from smallcoder.repomap.build import RepoMap, build_repo_map
from smallcoder.repomap.definitions import Definition, FileTags
from smallcoder.repomap.rank import RankedDefinition, rank_definitions
from smallcoder.repomap.render import estimate_tokens, fit_to_budget, render
from smallcoder.repomap.tags import extract_tags

__all__ = [
    "Definition",
    "FileTags",
    "RankedDefinition",
    "RepoMap",
    "build_repo_map",
    "estimate_tokens",
    "extract_tags",
    "fit_to_budget",
    "rank_definitions",
    "render",
]
