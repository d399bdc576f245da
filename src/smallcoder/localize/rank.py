"""Rank a repository's source files (and the definitions in them) by how likely a fix goes there.

Three rankings, each from one kind of evidence, and their fusion:

    map       the repo map (repomap/rank.py): PageRank over definitions and references, personalized
              toward the files and names the report mentions; a file ranks by its best definition
    lexical   BM25 over the files' text (localize/lexical.py) with the report's words as the query
    combined  reciprocal-rank fusion (Cormack et al., SIGIR 2009: 1/(K + rank) summed) of BM25 and
              the map's files that define a name the report mentions, plus direct evidence: a file
              the report names, a file in a traceback, a file that holds an error message or quoted
              output verbatim (when at most three files do); halved for the scripts around a project
              (benchmarks/, examples/, docs/, setup.py …)

Test files are never candidates: a fix goes into the code under test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.localize.imports import imported_modules
from smallcoder.localize.lexical import LexicalIndex, tokenize
from smallcoder.localize.query import Query, extract_query, match_paths
from smallcoder.repomap.build import build_repo_map
from smallcoder.repomap.definitions import Definition
from smallcoder.repomap.fallback import handles as fallback_handles
from smallcoder.repomap.files import list_files, read_source
from smallcoder.repomap.languages import language_for
from smallcoder.repomap.rank import RankedDefinition
from smallcoder.repomap.testpaths import is_test_path

RRF_K = 10  # small: the top few of each ranking matter, a tail of forty files does not
LEXICAL_WEIGHT = 1.0
MAP_WEIGHT = 1.0
# Direct evidence (a file the report names, a traceback frame, a quoted message found verbatim) counts as
# much as being first in one ranking: strong, but a named benchmark script does not outrank the code.
EVIDENCE_BONUS = 1.0 / (RRF_K + 1)
PHRASE_MAX_FILES = 3
# Scripts around a project (benchmarks, examples, docs, fuzzers) share its words but rarely hold its bugs.
TOOLING_DIRS = frozenset({"benchmark", "benchmarks", "bench", "examples", "example", "docs", "doc", "fuzzer",
                          "fuzz", "scripts", "tools", "profiler", "profiling", "demo", "demos"})
TOOLING_WEIGHT = 0.5
DEFINITIONS_PER_FILE = 3
METHODS = ("lexical", "map", "combined")


@dataclass
class Candidate:
    """One file where the fix may go. `definitions` are its most relevant ones, best first."""

    path: str
    score: float  # higher is likelier; comparable only within one Localization and method
    definitions: list[Definition] = field(default_factory=list)
    signatures: dict[int, str] = field(default_factory=dict)  # line -> header as written, for showing
    owners: dict[int, str] = field(default_factory=dict)  # line of a method -> its class's name
    reasons: list[str] = field(default_factory=list)  # "named in the report", "holds '…'", "defines …"


@dataclass
class Localization:
    query: Query
    named: list[str]  # source files the report names (exact or unique path suffix)
    candidates: list[Candidate]  # best first, at most `top`, only files some evidence points at
    rankings: dict[str, list[str]] = field(default_factory=dict)  # method -> files, best first (all of them)


def localize(
    root: Path,
    problem: str,
    *,
    test_output: str = "",
    top: int = 5,
    files: list[str] | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    map_time_limit_s: float | None = 10.0,
) -> Localization:
    """Rank `root`'s non-test source files for `problem` (a report in words); no model is asked.

    `test_output` adds the traceback frames of a failing run (its words are not used: test names
    would pull the tests' own helpers up). `files` (relative, '/'-separated) defaults to git's
    list. The repo map's tag cache is used as build_repo_map uses it. Unreadable files are skipped;
    nothing raises for odd input. Cost: one repo map build and one BM25 index of the source files.
    """
    root = Path(root).resolve()
    query = extract_query(problem)
    frames = query.frames + extract_query(test_output).frames if test_output else query.frames
    all_files = list_files(root) if files is None else files
    sources = [f for f in all_files if _is_source(f)]
    named = match_paths(query.paths, sources)
    traced = set(match_paths([p for p, _ in frames], sources))
    failing_tests = [f for f in match_paths([p for p, _ in frames], all_files) if is_test_path(f)]
    imported = imported_modules(root, failing_tests, set(sources)) if failing_tests else set()

    texts = {f: t for f in sources if (t := _read(root / f)) is not None}
    sources = [f for f in sources if f in texts]
    repo_map = build_repo_map(root, files=all_files, mentioned_files=named, mentioned_idents=query.names,
                              token_budget=0, cache_dir=cache_dir, use_cache=use_cache,
                              time_limit_s=map_time_limit_s)
    map_ranking = _files_by_best_definition(repo_map.ranked, set(sources))

    index = LexicalIndex.build((f, texts[f]) for f in sources)
    lexical = index.scores(tokenize(" ".join(query.words)))
    lexical_ranking = sorted(lexical, key=lambda f: (-lexical[f], f))

    # The map speaks only where the report steers it (a file it names, a name it mentions): without
    # that, its order is the repository-wide one, which says which modules are used most, not where a bug is.
    steered = _files_by_best_definition((r for r in repo_map.ranked if r.tier <= 2), set(sources))
    fused, reasons = _fuse(sources, texts, query, [(lexical_ranking, LEXICAL_WEIGHT), (steered, MAP_WEIGHT)],
                           named, traced, imported)
    combined = sorted(sources, key=lambda f: (-fused[f], f))

    by_file = _definitions_by_file(repo_map.ranked)
    names = set(query.names)
    terms = tokenize(" ".join(query.words))
    candidates = []
    for f in [f for f in combined if fused[f] > 0][:top]:  # nothing points at a zero: not a candidate
        defs = _best_definitions(by_file.get(f, []), names, terms, texts[f])
        tags = repo_map.tags.get(f)
        mentioned = [d.name for d in defs if d.name in names]
        if mentioned:
            reasons[f].append("defines " + ", ".join(mentioned))
        signatures = {d.line: tags.lines.get(d.line, "") for d in defs} if tags else {}
        names_at = {d.line: d.name for d in tags.definitions} if tags else {}
        owners = {d.line: names_at[d.parent] for d in defs if d.parent in names_at}
        candidates.append(Candidate(f, fused[f], defs, signatures, owners, reasons[f]))
    rankings = {"lexical": lexical_ranking, "map": map_ranking, "combined": combined}
    return Localization(query, named, candidates, rankings)


def _fuse(sources: list[str], texts: dict[str, str], query: Query, rankings: list[tuple[list[str], float]],
          named: list[str], traced: set[str], imported: set[str]) -> tuple[dict[str, float], dict[str, list[str]]]:
    """(score, reasons) of every source file: weighted reciprocal ranks plus direct evidence (named in the
    report, in the traceback, imported by a failing test: a share of one bonus each, like a phrase), scripts
    halved."""
    fused: dict[str, float] = {f: 0.0 for f in sources}
    reasons: dict[str, list[str]] = {f: [] for f in sources}
    for ranking, weight in rankings:
        for i, f in enumerate(ranking):
            fused[f] += weight / (RRF_K + i + 1)
    for f in named:
        fused[f] += EVIDENCE_BONUS
        reasons[f].append("named in the report")
    for f in traced:
        fused[f] += EVIDENCE_BONUS
        reasons[f].append("in the traceback")
    for f in imported:
        fused[f] += EVIDENCE_BONUS / len(imported)
        reasons[f].append("imported by the failing test")
    for phrase in query.phrases:
        holders = [f for f in sources if phrase in texts[f]]
        if 0 < len(holders) <= PHRASE_MAX_FILES:  # text found in many files says nothing about one
            for f in holders:
                fused[f] += EVIDENCE_BONUS / len(holders)
                reasons[f].append(f"holds {phrase!r}")
    for f in sources:
        if f.split("/", 1)[0].lower() in TOOLING_DIRS or f in ("setup.py", "noxfile.py"):
            fused[f] *= TOOLING_WEIGHT
    return fused, reasons


def _is_source(path: str) -> bool:
    return (language_for(path) is not None or fallback_handles(path)) and not is_test_path(path)


def _read(path: Path) -> str | None:
    try:
        return read_source(path, path.stat().st_size)
    except OSError:
        return None


def _files_by_best_definition(ranked: Iterable[RankedDefinition], allowed: set[str]) -> list[str]:
    """Files in the order of their best-ranked definition (the repo map's own order)."""
    seen: dict[str, None] = {}
    for r in ranked:
        if r.path in allowed:
            seen.setdefault(r.path, None)
    return list(seen)


def _definitions_by_file(ranked: Iterable[RankedDefinition]) -> dict[str, list[RankedDefinition]]:
    out: dict[str, list[RankedDefinition]] = {}
    for r in ranked:
        out.setdefault(r.path, []).append(r)
    return out


def _best_definitions(ranked: list[RankedDefinition], names: set[str], terms: list[str],
                      text: str) -> list[Definition]:
    """A file's definitions the report most likely means: the ones it names, then by BM25 of each
    definition's lines (from its first line to the next definition's) against the report's words;
    ties go to the repo map's order (how much the rest of the repository uses them)."""
    if not ranked:
        return []
    starts = sorted({r.definition.line for r in ranked})
    lines = text.splitlines()
    spans = [(str(a), "\n".join(lines[a - 1 : (b - 1 if b else len(lines))]))
             for a, b in zip(starts, [*starts[1:], 0])]
    scores = LexicalIndex.build(spans).scores(terms)
    best = max(scores.values(), default=0.0) or 1.0

    def relevance(item: tuple[int, RankedDefinition]) -> tuple[float, int]:
        i, r = item
        d = r.definition
        return (-(2.0 * (d.name in names) + scores.get(str(d.line), 0.0) / best), i)

    ordered = sorted(enumerate(ranked), key=relevance)
    return [r.definition for _, r in ordered[:DEFINITIONS_PER_FILE]]
