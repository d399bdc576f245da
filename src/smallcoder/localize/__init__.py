"""Localization without a model: which files (and definitions in them) a problem report is about.

    from smallcoder.localize import localize
    found = localize(root, "juxt only gives output once when given a generator")
    found.candidates[0].path            # "toolz/functoolz.py"
    found.rankings["lexical"]           # the same files by BM25 alone ("map" by the repo map alone)

query.py reads the clues out of the report, lexical.py indexes the code (BM25), rank.py fuses
them with the repo map. render.py shows the candidates to a model in a token budget.
"""

from smallcoder.localize.query import Query, extract_query, match_paths
from smallcoder.localize.rank import METHODS, Candidate, Localization, localize

__all__ = ["METHODS", "Candidate", "Localization", "Query", "extract_query", "localize", "match_paths"]
