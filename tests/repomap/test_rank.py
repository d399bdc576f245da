"""PageRank over the reference graph, personalization and tiers."""

from __future__ import annotations

import pytest

from smallcoder.repomap.rank import pagerank, rank_definitions
from smallcoder.repomap.testpaths import is_test_path
from smallcoder.repomap.tags import Definition, FileTags


def file(path: str, defs: list[str], refs: dict[str, int] | None = None) -> FileTags:
    definitions = [Definition(name, "function", i + 1) for i, name in enumerate(defs)]
    return FileTags(path, "python", definitions, {d.line: f"def {d.name}():" for d in definitions}, refs or {})


def corpus() -> dict[str, FileTags]:
    return {
        "core.py": file("core.py", ["popular", "unused"]),
        "side.py": file("side.py", ["rare"], {"popular": 1}),
        "a.py": file("a.py", ["fa"], {"popular": 3, "rare": 1}),
        "b.py": file("b.py", ["fb"], {"popular": 2}),
        "c.py": file("c.py", ["fc"], {"popular": 1, "fa": 1}),
    }


def names(ranked: list) -> list[str]:
    return [r.definition.name for r in ranked]


def test_most_referenced_definition_ranks_first() -> None:
    ranked = rank_definitions(corpus())
    order = names(ranked)
    assert order[0] == "popular"
    assert order.index("rare") < order.index("unused")
    assert len(ranked) == 6  # every definition is ranked, referenced or not


def test_mentioned_file_comes_first() -> None:
    ranked = rank_definitions(corpus(), mentioned_files=["c.py"])
    assert ranked[0].path == "c.py" and ranked[0].tier == 1
    assert all(r.tier >= 2 for r in ranked[1:])


def test_mentioned_identifier_outranks_popular_one() -> None:
    ranked = rank_definitions(corpus(), mentioned_idents=["unused"])
    assert names(ranked)[0] == "unused"
    assert ranked[0].tier == 2


def test_mentioned_name_in_mentioned_file_is_first_of_all() -> None:
    ranked = rank_definitions(corpus(), mentioned_files=["core.py"], mentioned_idents=["unused"])
    assert [(r.definition.name, r.tier) for r in ranked[:2]] == [("unused", 0), ("popular", 1)]


def test_personalization_shifts_rank_toward_the_neighbourhood() -> None:
    plain = {r.definition.name: r.score for r in rank_definitions(corpus())}
    focused = {r.definition.name: r.score for r in rank_definitions(corpus(), mentioned_files=["c.py"])}
    # c.py uses fa, a.py uses rare: restarting the walk at c.py favours c.py's neighbours
    assert focused["fa"] / focused["rare"] > plain["fa"] / plain["rare"]
    assert focused["fb"] == 0.0  # nothing reachable from c.py uses b.py


def test_self_references_are_not_evidence() -> None:
    tags = {"x.py": file("x.py", ["own"], {"own": 50}), "y.py": file("y.py", ["other"], {"other": 1})}
    scores = {r.definition.name: r.score for r in rank_definitions(tags)}
    assert scores["own"] == pytest.approx(scores["other"])


def test_pagerank_is_a_distribution() -> None:
    nodes = ["a", "b", "c", "d"]
    edges = {"a": [("b", "n", 1.0)], "b": [("c", "n", 2.0), ("a", "m", 1.0)]}  # c, d dangle
    rank = pagerank(nodes, edges, {n: 0.25 for n in nodes})
    assert sum(rank.values()) == pytest.approx(1.0)
    assert rank["c"] > rank["d"]


def test_empty_repository() -> None:
    assert rank_definitions({}) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [("tests/test_a.py", True), ("pkg/conftest.py", True), ("web/a.test.js", True), ("go/x_test.go", True),
     ("app/tests.py", True), ("test.py", True),  # Django's tests.py; a top-level test.py
     ("pkg/stats.py", False), ("src/contest.py", False), ("src/latest.py", False)],
)
def test_is_test_path(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


def test_a_use_through_a_value_counts_less_than_a_bare_use() -> None:
    tags = {
        "defs.py": file("defs.py", ["bare_used", "attr_used"]),
        "user.py": file("user.py", ["u"], {"bare_used": 1, ".attr_used": 1}),
    }
    scores = {r.definition.name: r.score for r in rank_definitions(tags)}
    assert scores["bare_used"] > 2 * scores["attr_used"] > 0


def test_builtin_names_carry_little_weight() -> None:
    tags = {
        "defs.py": file("defs.py", ["print", "render_page"]),
        "a.py": file("a.py", ["fa"], {"print": 9, "render_page": 1}),
    }
    scores = {r.definition.name: r.score for r in rank_definitions(tags)}
    assert scores["render_page"] > scores["print"]
