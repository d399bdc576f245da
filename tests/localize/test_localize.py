"""Localization on a small real git repository: the report's words and names find the file, never a test."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from smallcoder.localize import extract_query, localize, match_paths
from smallcoder.localize.lexical import LexicalIndex, tokenize

FILES = {
    "pkg/__init__.py": "from pkg.lexer import tokenize_sql\nfrom pkg.cache import MRUCache\n",
    "pkg/lexer.py": (
        "import re\n\n"
        "DELIMITERS = ('/*', '*/', '$$')\n\n\n"
        "def pair_delimiters(text):\n"
        "    \"\"\"Pair each comment opener with its closer.\"\"\"\n"
        "    openers = [m.start() for m in re.finditer(r'/\\*', text)]\n"
        "    return list(zip(openers, openers[1:]))\n\n\n"
        "def tokenize_sql(text):\n"
        "    pairs = pair_delimiters(text)\n"
        "    if not pairs:\n"
        "        raise ValueError('unterminated comment delimiter')\n"
        "    return pairs\n"
    ),
    "pkg/cache.py": (
        "class Cache:\n    def __init__(self, maxsize):\n        self.maxsize = maxsize\n\n\n"
        "class MRUCache(Cache):\n    def popitem(self):\n        return None\n"
    ),
    "pkg/report.py": (
        "from pkg.lexer import tokenize_sql\n\n\n"
        "def summary(text):\n    return len(tokenize_sql(text))\n"
    ),
    # A test that uses every word of the report: it must never be a candidate.
    "tests/test_lexer.py": (
        "from pkg.lexer import pair_delimiters, tokenize_sql\n\n\n"
        "def test_pair_delimiters_comment_string_literal():\n"
        "    assert pair_delimiters('/* comment */ delimiter delimiters string literal')\n"
        "    assert tokenize_sql('/* comment */')\n"
    ),
    "benchmarks/bench_lexer.py": "from pkg.lexer import tokenize_sql\n\n\ndef measure():\n    tokenize_sql('/**/')\n",
    "README.md": "Comment delimiters, string literals, delimiters everywhere.\n",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@localhost", "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def run(repo: Path, problem: str, **kwargs: object):
    return localize(repo, problem, use_cache=False, **kwargs)  # type: ignore[arg-type]


def test_a_report_in_words_finds_the_file_and_its_definition(repo):
    found = run(repo, "A comment opener inside a string literal is paired with the closer of the next real "
                      "comment delimiter, so everything after it is mistokenized.")
    assert found.candidates[0].path == "pkg/lexer.py"
    assert found.candidates[0].definitions[0].name == "pair_delimiters"
    assert found.candidates[0].signatures[found.candidates[0].definitions[0].line] == "def pair_delimiters(text):"
    assert found.named == []


def test_test_files_are_never_candidates(repo):
    found = run(repo, "test_pair_delimiters_comment_string_literal fails: pair_delimiters mishandles a comment",
                top=50)
    every = {c.path for c in found.candidates} | {f for r in found.rankings.values() for f in r}
    assert "tests/test_lexer.py" not in every
    assert "README.md" not in every  # not code
    assert found.candidates[0].path == "pkg/lexer.py"


def test_a_mentioned_class_name_leads_to_its_definer(repo):
    found = run(repo, "Deprecate the MRUCache class.")
    assert found.candidates[0].path == "pkg/cache.py"
    assert "defines MRUCache" in found.candidates[0].reasons
    assert found.rankings["map"][0] == "pkg/cache.py"


def test_an_error_message_quoted_verbatim_is_evidence(repo):
    found = run(repo, "Parsing '/* x' gives ValueError: unterminated comment delimiter")
    top = found.candidates[0]
    assert top.path == "pkg/lexer.py"
    assert any("unterminated comment delimiter" in r for r in top.reasons)


def test_a_traceback_in_the_test_output_pulls_its_file_up(repo):
    output = 'Traceback (most recent call last):\n  File "pkg/report.py", line 5, in summary\nZeroDivisionError'
    found = run(repo, "summary is wrong for an empty text", test_output=output)
    assert found.candidates[0].path == "pkg/report.py"
    assert "in the traceback" in found.candidates[0].reasons


def test_a_named_file_is_found_and_reported(repo):
    found = run(repo, "cache.py: the MRU cache ignores maxsize")
    assert found.named == ["pkg/cache.py"]
    assert found.candidates[0].path == "pkg/cache.py"


def test_scripts_around_the_project_rank_below_its_code(repo):
    found = run(repo, "tokenize_sql is slow on many comments; measure shows it")
    ranking = found.rankings["combined"]
    assert ranking.index("pkg/lexer.py") < ranking.index("benchmarks/bench_lexer.py")


def test_query_extraction_reads_names_paths_frames_and_messages():
    q = extract_query(
        "`Box.area` and partition_all() break; MRUCache too.\n"
        'File "/home/u/src/pkg/a.py", line 12, in f\n'
        "TypeError: 'NoneType' object is not subscriptable\n"
        "it printed \"got 3 items\" instead; see utils.py"
    )
    assert {"Box.area", "partition_all", "MRUCache", "TypeError"} <= set(q.identifiers)
    assert {"Box", "area", "partition_all", "MRUCache"} <= set(q.names)
    assert q.frames == [("/home/u/src/pkg/a.py", 12)]
    assert "utils.py" in q.paths
    assert "'NoneType' object is not subscriptable" in q.phrases and "got 3 items" in q.phrases
    assert q.errors == ["TypeError"]
    assert "Box" not in q.phrases and "Box.area" not in q.phrases  # bare names are not phrases


def test_match_paths_takes_exact_suffix_and_absolute_paths():
    files = ["src/pkg/a.py", "src/pkg/b.py", "x/utils.py", "y/utils.py", "z/utils.py", "w/utils.py"]
    assert match_paths(["pkg/a.py", "/home/u/src/pkg/b.py"], files) == ["src/pkg/a.py", "src/pkg/b.py"]
    assert match_paths(["utils.py"], files) == []  # four files end in it: says nothing


def test_tokenizer_splits_identifiers_and_keeps_them_whole():
    assert tokenize("getRealName(x)") == ["getrealname", "get", "real", "name"]
    assert tokenize("partition_all") == ["partition_all", "partition"]  # "all" is a stopword
    assert tokenize("the delimiters") == ["delimiter"]


def test_bm25_ranks_the_document_with_the_rare_words_first():
    index = LexicalIndex.build([("a.py", "def lexer(): pass"), ("b.py", "dollar quote delimiter delimiter"),
                                ("c.py", "")])
    scores = index.scores(tokenize("dollar-quote delimiters"))
    assert max(scores, key=scores.__getitem__) == "b.py" and "c.py" not in scores
    assert index.scores(["unknownword"]) == {}


def test_candidates_render_within_the_budget_best_first(repo):
    from smallcoder.localize.render import render_candidates

    found = run(repo, "Deprecate the MRUCache class; its popitem returns None.", top=5)
    text, tokens, listed = render_candidates(found.candidates, 1_000)
    assert text.startswith("pkg/cache.py\n") and "│class MRUCache(Cache):" in text
    assert "│def popitem(self):  (in MRUCache)" in text  # a method says which class it is in
    assert listed == len(found.candidates) and tokens > 0
    small, small_tokens, small_listed = render_candidates(found.candidates, 12)
    assert small_tokens <= 12 and 1 <= small_listed < listed and small.startswith("pkg/cache.py")
    shown, _, _ = render_candidates(found.candidates, 1_000, shown={"pkg/cache.py"})
    assert shown.startswith("pkg/cache.py (shown below)\n") and "MRUCache(Cache)" not in shown
    assert render_candidates(found.candidates, 2) == ("", 0, 0)


def test_a_report_that_matches_nothing_gives_no_candidates(repo):
    found = run(repo, "Zzyzx qwerty.")
    assert found.candidates == [] and found.rankings["lexical"] == []


def test_of_two_files_defining_the_name_the_one_the_failing_test_imports_comes_first(repo):
    (repo / "pkg" / "legacy.py").write_text("def popitem(cache):\n    return None\n")  # the same name, elsewhere
    (repo / "tests" / "test_cache.py").write_text(
        "from pkg.cache import MRUCache\n\n\ndef test_popitem():\n    assert MRUCache(2).popitem() == 1\n")
    output = "tests/test_cache.py:5: AssertionError\nFAILED tests/test_cache.py::test_popitem - assert None == 1\n"
    plain = run(repo, "popitem() returns None", files=["pkg/legacy.py", "pkg/cache.py", "tests/test_cache.py"])
    assert plain.candidates[0].path == "pkg/legacy.py"  # a short file that is all about popitem
    found = run(repo, "popitem() returns None", test_output=output,
                files=["pkg/legacy.py", "pkg/cache.py", "tests/test_cache.py"])
    assert found.candidates[0].path == "pkg/cache.py"
    assert "imported by the failing test" in found.candidates[0].reasons
