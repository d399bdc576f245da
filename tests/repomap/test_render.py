"""The rendered map's shape, and fitting it to a token budget."""

from __future__ import annotations

import pytest

from smallcoder.repomap.rank import rank_definitions
from smallcoder.repomap.render import estimate_tokens, fit_to_budget, render
from smallcoder.repomap.tags import FileTags, extract_tags

SRC = (
    "class Box(Base):\n"      # 1
    "    def area(self):\n"   # 2
    "        return 1\n"      # 3
    "\n"                      # 4
    "    def grow(self):\n"   # 5
    "        pass\n"          # 6
    "\n"                      # 7
    "def mean(values):\n"     # 8
    "    return 0\n"          # 9
)


def many_files(n: int) -> dict[str, FileTags]:
    tags: dict[str, FileTags] = {}
    for i in range(n):
        src = "".join(f"def func_{i}_{j}(argument_{j}, other):\n    return helper_{j}(argument_{j})\n\n" for j in range(8))
        t = extract_tags(f"pkg/module_{i}.py", src)
        assert t is not None
        tags[t.path] = t
    return tags


def test_format_path_line_numbers_and_elision() -> None:
    tags = {"pkg/stats.py": extract_tags("pkg/stats.py", SRC)}
    assert tags["pkg/stats.py"] is not None
    ranked = [r for r in rank_definitions(tags) if r.definition.name in ("grow", "mean")]  # type: ignore[arg-type]
    text = render(ranked, tags)  # type: ignore[arg-type]
    # grow brings its class along; lines 2-4 and 6-7 are elided
    assert text == "pkg/stats.py:\n1│class Box(Base):\n⋮\n5│    def grow(self):\n⋮\n8│def mean(values):\n"


def test_adjacent_lines_are_not_elided() -> None:
    tags = {"a.py": extract_tags("a.py", "def a():\n    pass\ndef b():\n    pass\n")}
    text = render(rank_definitions(tags), tags)  # type: ignore[arg-type]
    assert "⋮" in text
    tags = {"a.py": extract_tags("a.py", "class A:\n    def m(self): pass\n")}
    assert render(rank_definitions(tags), tags) == "a.py:\n1│class A:\n2│    def m(self):\n"  # type: ignore[arg-type]


@pytest.mark.parametrize("budget", [16, 64, 200, 512, 1024, 4096])
def test_budget_is_respected(budget: int) -> None:
    tags = many_files(60)
    ranked = rank_definitions(tags)
    text, tokens, shown = fit_to_budget(ranked, tags, budget)
    assert tokens == estimate_tokens(text) <= budget
    if shown < len(ranked):  # the next definition would not have fitted: the map is as full as it can be
        assert estimate_tokens(render(ranked[: shown + 1], tags)) > budget


@pytest.mark.parametrize("budget", [10, 100, 700])
def test_budget_with_a_custom_tokenizer(budget: int) -> None:
    tags = many_files(30)
    ranked = rank_definitions(tags)

    def words(text: str) -> int:
        return len(text.split()) + text.count("│")

    text, tokens, _ = fit_to_budget(ranked, tags, budget, words)
    assert tokens == words(text) <= budget


def test_everything_fits_in_a_big_budget() -> None:
    tags = many_files(2)
    ranked = rank_definitions(tags)
    text, _, shown = fit_to_budget(ranked, tags, 100_000)
    assert shown == len(ranked) == 16
    assert text.count("│") == 16


def test_zero_budget_and_empty_input() -> None:
    tags = many_files(1)
    assert fit_to_budget(rank_definitions(tags), tags, 0) == ("", 0, 0)
    assert fit_to_budget([], {}, 1000) == ("", 0, 0)
    assert render([], {}) == ""
