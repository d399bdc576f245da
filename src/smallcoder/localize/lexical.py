"""A lexical index of a repository's code: BM25 (Okapi, Lucene's variant) over whole files.

Scoring is bm25s's (sparse matrices, numpy only). What is ours is the tokenizer, made for code:
identifiers are split at `_` and case changes and kept whole as well, so `partition_all` in a report
meets `partition_all`, `partition` and `all` in the code; a crude plural strip makes "delimiters"
meet "delimiter". The path of a file is part of its document: `lexer.py` is about lexing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CASE_SPLIT = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# English glue and the keywords every Python file has: they match everything and say nothing.
STOPWORDS = frozenset(
    "a an and are as at be been but by can could did do does for from had has have how if in into is it "
    "its it's not of on or so such than that the their them then there these they this to was were what "
    "when where which while who will with would should also only just more most other some any all no "
    "yes we you i my our your me us he she his her one two def class return self cls none true false "
    "import pass elif else try except finally raise lambda yield async await global nonlocal del assert "
    "break continue print str int list dict set tuple bool object len range isinstance".split()
)
PATH_REPEAT = 3  # a path's words count as often as this: a file's name is a strong summary of it


def tokenize(text: str) -> list[str]:
    """Lower-case terms of `text`: each identifier whole and in its parts, stopwords and 1-letter terms left out.

    "getRealName(x)" → ["getrealname", "get", "real", "name"]; "partition_all" → ["partition_all",
    "partition"] ("all" is a stopword). Plurals lose a final "s" ("tokens" → "token").
    """
    out: list[str] = []
    for word in _TOKEN.findall(text):
        out.extend(_terms(word))
    return out


@lru_cache(maxsize=200_000)  # a repository repeats its identifiers: splitting each once is most of the speed
def _terms(word: str) -> tuple[str, ...]:
    parts = [p for chunk in word.split("_") for p in _CASE_SPLIT.findall(chunk)]
    terms = [word] if len(parts) <= 1 else [word, *parts]
    return tuple(t for t in map(_stem, (term.lower() for term in terms)) if len(t) > 1 and t not in STOPWORDS)


def _stem(term: str) -> str:
    if len(term) > 4 and term.endswith("s") and not term.endswith(("ss", "us", "is")):
        return term[:-1]
    return term


@dataclass
class LexicalIndex:
    """BM25 over documents, one per path. Build with `LexicalIndex.build`; `scores` per query."""

    paths: list[str]
    _model: object  # bm25s.BM25
    _vocabulary: frozenset[str]

    @classmethod
    def build(cls, documents: Iterable[tuple[str, str]]) -> LexicalIndex:
        """Index (path, text) pairs. Raises ImportError naming the package when bm25s is missing."""
        try:
            import bm25s
        except ImportError as e:  # a core dependency; only a broken install gets here
            raise ImportError("the lexical index needs bm25s: pip install 'bm25s>=0.2'") from e
        paths: list[str] = []
        corpus: list[list[str]] = []
        for path, text in documents:
            paths.append(path)
            corpus.append(tokenize(path.replace("/", " ").replace(".", " ")) * PATH_REPEAT + tokenize(text))
        model = bm25s.BM25()
        vocabulary: set[str] = set()
        for doc in corpus:
            vocabulary.update(doc)
        if corpus:
            # an empty document would make bm25s drop it; a token no query has keeps it in place
            model.index([doc or ["\x00"] for doc in corpus], show_progress=False)
        return cls(paths, model, frozenset(vocabulary))

    def scores(self, query_terms: Sequence[str]) -> dict[str, float]:
        """BM25 score of each path for the terms (repeats count once); paths scoring 0 left out."""
        terms = list(dict.fromkeys(t for t in query_terms if t in self._vocabulary))
        if not terms or not self.paths:
            return {}
        values = self._model.get_scores(terms)  # type: ignore[attr-defined]
        return {p: float(v) for p, v in zip(self.paths, values) if v > 0}
