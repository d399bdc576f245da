"""Result cache: exact and typed-through hits need no request."""

from smallcoder.fim.cache import ResultCache


def test_exact_hit_and_miss():
    c = ResultCache()
    assert c.get("def f(", ")") is None
    c.put("def f(", ")", "x, y")
    hit = c.get("def f(", ")")
    assert hit is not None and hit.text == "x, y" and hit.typed == 0
    assert c.get("def g(", ")") is None
    assert (c.hits, c.misses) == (1, 2)


def test_typing_through_a_suggestion_returns_its_rest():
    c = ResultCache()
    c.put("x = ", "\n", "compute(a, b)")
    hit = c.get("x = comp", "\n")
    assert hit is not None and hit.text == "ute(a, b)" and hit.typed == 4
    # and typing on from there is an exact hit of the stored rest
    assert c.get("x = compute(", "\n").text == "a, b)"


def test_typing_something_else_is_a_miss():
    c = ResultCache()
    c.put("x = ", "\n", "compute(a, b)")
    assert c.get("x = cal", "\n") is None
    assert c.get("x = comp", "\nother") is None  # the suffix changed


def test_fully_typed_suggestion_is_not_offered_again():
    c = ResultCache()
    c.put("x = ", "\n", "ab")
    assert c.get("x = ab", "\n") is None


def test_capacity_evicts_least_recent():
    c = ResultCache(capacity=2)
    c.put("a", "", "1")
    c.put("b", "", "2")
    c.get("a", "")
    c.put("c", "", "3")
    assert c.get("b", "") is None and c.get("a", "").text == "1" and len(c) == 2
