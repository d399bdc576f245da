"""Rank definitions by how much the rest of the repository uses them.

Files are nodes; a file that uses a name points at every file defining it.
PageRank over that graph, personalized toward the files and identifiers the
task mentions, says which files matter; each file's rank then flows along its
edges to the definitions it uses. Definitions in the mentioned files come
first whatever their score: the task named them.
"""

from __future__ import annotations

import builtins
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from smallcoder.repomap.definitions import Definition, FileTags
from smallcoder.repomap.testpaths import is_test_path

DAMPING = 0.85
MAX_ITERATIONS = 30  # on CPython's stdlib the top 300 definitions are the same after 20 as after 100
TOLERANCE = 1e-6  # L1 change per iteration
MENTIONED_IDENT_BOOST = 10.0
PRIVATE_PENALTY = 0.1  # `_helper`, `__init__`: rarely what a task is about
COMMON_NAME_DEFINERS = 5  # a name defined in more files than this is generic (`run`, `get`)
COMMON_NAME_PENALTY = 0.1
MAX_DEFINERS = 20  # a name defined in more files says nothing about which one is meant
BUILTIN_PENALTY = 0.02
# Names the languages themselves provide (`type(x)`, `print`, `d.get`, `xs.push`, `len`):
# a use of one is almost always the builtin, not a definition that shadows it.
_PY_TYPES = (str, bytes, list, dict, set, tuple, int, float, object, type, BaseException)
BUILTIN_NAMES = frozenset(dir(builtins)) | {n for t in _PY_TYPES for n in dir(t)} | frozenset(
    "get set items keys values append extend insert pop remove update clear copy index count "
    "join split strip replace format lower upper startswith endswith encode decode find sort "
    "read write close open run text add discard send next iter push map filter reduce forEach "
    "slice splice then catch toString length size entries includes indexOf apply call bind "
    "console log require exports module Object Array String Number Boolean Promise JSON Math "
    "Error Symbol Map Set Date RegExp parseInt parseFloat undefined "
    "make cap panic recover new delete error Errorf Println Printf Sprintf Fprintf "
    "clone unwrap expect collect into from to_string iter_mut as_ref Some None Ok Err Vec "
    "equals hashCode println printf malloc free memcpy memset strlen sizeof".split()
)
ATTRIBUTE_WEIGHT = 0.3  # `obj.name` may be any object's `name`; a bare `name` is specific
TEST_FILE_PENALTY = 0.2  # test helpers are used a lot but are rarely where a bug lives


@dataclass(frozen=True, slots=True)
class RankedDefinition:
    path: str
    definition: Definition
    score: float
    tier: int  # 0: mentioned name in a mentioned file, 1: mentioned file, 2: mentioned name, 3: rest


def rank_definitions(
    tags: dict[str, FileTags],
    mentioned_files: Iterable[str] = (),
    mentioned_idents: Iterable[str] = (),
) -> list[RankedDefinition]:
    """All definitions, best first."""
    files = sorted(tags)
    m_files = set(mentioned_files) & set(files)
    m_idents = set(mentioned_idents)

    definers: dict[str, list[str]] = defaultdict(list)
    for path in files:
        for name in {d.name for d in tags[path].definitions}:
            definers[name].append(path)

    tested = {path: TEST_FILE_PENALTY if is_test_path(path) else 1.0 for path in files}
    # edges[src] = [(dst, name, weight)]; a file's uses of its own names are not evidence
    edges: dict[str, list[tuple[str, str, float]]] = {}
    for src in files:
        out: list[tuple[str, str, float]] = []
        for key, count in tags[src].references.items():
            name = key.lstrip(".")
            dsts = definers.get(name)
            if not dsts or len(dsts) > MAX_DEFINERS:
                continue
            weight = _name_weight(name, len(dsts), name in m_idents) * math.sqrt(count) / len(dsts)
            if key.startswith("."):
                weight *= ATTRIBUTE_WEIGHT
            out += [(dst, name, weight * tested[dst]) for dst in dsts if dst != src]
        if out:
            edges[src] = out

    personal = _personalization(files, m_files, m_idents, definers)
    rank = pagerank(files, edges, personal)

    scores: dict[tuple[str, str], float] = defaultdict(float)
    for src, out in edges.items():
        total = sum(w for _, _, w in out)
        for dst, name, weight in out:
            scores[(dst, name)] += rank[src] * weight / total

    ranked: list[RankedDefinition] = []
    for path in files:
        defs = tags[path].definitions
        floor = rank[path] * 1e-3 / max(1, len(defs))  # unreferenced defs still sort by their file
        for d in defs:
            score = scores.get((path, d.name), 0.0) + floor
            if d.name in m_idents:
                score *= MENTIONED_IDENT_BOOST
            tier = _tier(path in m_files, d.name in m_idents)
            ranked.append(RankedDefinition(path, d, score, tier))
    ranked.sort(key=lambda r: (r.tier, -r.score, r.path, r.definition.line))
    return ranked


def _name_weight(name: str, n_definers: int, mentioned: bool) -> float:
    weight = 1.0
    if mentioned:
        weight *= MENTIONED_IDENT_BOOST
    if name.startswith(("_", "#")):
        weight *= PRIVATE_PENALTY
    if n_definers > COMMON_NAME_DEFINERS:
        weight *= COMMON_NAME_PENALTY
    if name in BUILTIN_NAMES:
        weight *= BUILTIN_PENALTY
    return weight


def _tier(in_mentioned_file: bool, mentioned_name: bool) -> int:
    if in_mentioned_file:
        return 0 if mentioned_name else 1
    return 2 if mentioned_name else 3


def _personalization(
    files: list[str], m_files: set[str], m_idents: set[str], definers: dict[str, list[str]]
) -> dict[str, float]:
    weights: dict[str, float] = defaultdict(float)
    for path in m_files:
        weights[path] += 1.0
    for name in m_idents:
        for path in definers.get(name, ()):
            weights[path] += 0.5
    if not weights:
        return {path: 1.0 / len(files) for path in files} if files else {}
    total = sum(weights.values())
    return {path: w / total for path, w in weights.items()}


def pagerank(
    nodes: list[str],
    edges: dict[str, list[tuple[str, str, float]]],
    personal: dict[str, float],
) -> dict[str, float]:
    """Weighted personalized PageRank by power iteration; dangling mass returns to `personal`."""
    if not nodes:
        return {}
    index = {n: i for i, n in enumerate(nodes)}
    # parallel edges (one per shared name) collapse into one (src, dst) weight; plain lists
    # of indices keep the inner loop cheap in pure Python
    links: list[tuple[int, list[int], list[float]]] = []
    for src, out in edges.items():
        total = sum(w for _, _, w in out)
        acc: dict[int, float] = defaultdict(float)
        for dst, _, w in out:
            acc[index[dst]] += w / total
        links.append((index[src], list(acc), list(acc.values())))
    dangling_nodes = [index[n] for n in nodes if n not in edges]
    restart = [personal.get(n, 0.0) for n in nodes]
    rank = [1.0 / len(nodes)] * len(nodes)
    for _ in range(MAX_ITERATIONS):
        dangling = sum(rank[i] for i in dangling_nodes)
        base = 1.0 - DAMPING + DAMPING * dangling
        new = [base * r for r in restart]
        for i, targets, fracs in links:
            share = DAMPING * rank[i]
            for j, frac in zip(targets, fracs):
                new[j] += share * frac
        delta = sum(abs(a - b) for a, b in zip(new, rank))
        rank = new
        if delta < TOLERANCE:
            break
    return dict(zip(nodes, rank))
