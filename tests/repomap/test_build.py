"""build_repo_map on real repositories: listing, ranking, budget, cache, bad files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from smallcoder.repomap import build_repo_map
from smallcoder.repomap.render import estimate_tokens
from tests.repomap.conftest import FILES, git, write_tree


def shown_files(text: str) -> list[str]:
    return [line[:-1] for line in text.splitlines() if line.endswith(":") and "│" not in line]


def test_finds_definitions_in_every_language(repo: Path, cache_dir: Path) -> None:
    repo_map = build_repo_map(repo, cache_dir=cache_dir, token_budget=10_000)
    text = repo_map.text
    for line in ("4│def mean(values):", "13│class Box(Base):", "14│    def area(self, scale):",
                 "1│export function helper(a)", "5│export class Widget", "3│type Shape interface",
                 "7│func Total(items []Shape) int"):
        assert line in text
    assert repo_map.files_considered == 9  # the .py, .js and .go files; README and .gitignore are not code
    assert repo_map.definitions == repo_map.shown_definitions == 15
    assert repo_map.tokens == estimate_tokens(text)
    assert repo_map.build_s > 0


def test_references_decide_the_order(repo: Path, cache_dir: Path) -> None:
    repo_map = build_repo_map(repo, cache_dir=cache_dir, token_budget=10_000)
    order = [r.definition.name for r in repo_map.ranked]
    assert order.index("mean") < order.index("median")  # mean is used by three files, median by none
    assert order.index("helper") < order.index("render")
    mean = next(r for r in repo_map.ranked if r.definition.name == "mean")
    assert mean.score > 0 and mean.path == "pkg/stats.py"


def test_gitignored_files_are_left_out(repo: Path, cache_dir: Path) -> None:
    write_tree(repo, {"untracked.py": "def fresh():\n    pass\n"})  # untracked but not ignored: in
    text = build_repo_map(repo, cache_dir=cache_dir, token_budget=10_000).text
    assert "hidden" not in text
    assert "def fresh():" in text


@pytest.mark.parametrize("mention", ["go/main.go", "./go/main.go", "main.go"])
def test_mentioned_file_is_ranked_first(repo: Path, cache_dir: Path, mention: str) -> None:
    repo_map = build_repo_map(repo, cache_dir=cache_dir, mentioned_files=[mention], token_budget=10_000)
    assert shown_files(repo_map.text)[0] == "go/main.go"
    assert repo_map.ranked[0].definition.name == "run"


def test_mentioned_file_by_absolute_path_and_identifier(repo: Path, cache_dir: Path) -> None:
    repo_map = build_repo_map(
        repo, cache_dir=cache_dir, mentioned_files=[str(repo / "web" / "util.js")],
        mentioned_idents=["Widget.render"], token_budget=10_000,
    )
    assert shown_files(repo_map.text)[0] == "web/util.js"
    assert [r.definition.name for r in repo_map.ranked[:2]] == ["Widget", "render"]  # named in the task


def test_small_budget_keeps_the_mentioned_file(repo: Path, cache_dir: Path) -> None:
    repo_map = build_repo_map(repo, cache_dir=cache_dir, mentioned_files=["app/cli.py"], token_budget=30)
    assert repo_map.text.startswith("app/cli.py:\n3│def main(argv):")
    assert repo_map.tokens <= 30


@pytest.mark.parametrize("budget", [0, 8, 32, 64, 128, 1024])
def test_budget_respected(repo: Path, cache_dir: Path, budget: int) -> None:
    repo_map = build_repo_map(repo, cache_dir=cache_dir, token_budget=budget)
    assert repo_map.tokens == estimate_tokens(repo_map.text) <= budget


def test_custom_token_counter(repo: Path, cache_dir: Path) -> None:
    def chars(text: str) -> int:
        return len(text)

    repo_map = build_repo_map(repo, cache_dir=cache_dir, token_budget=120, count_tokens=chars)
    assert 0 < len(repo_map.text) == repo_map.tokens <= 120


def test_second_build_uses_the_cache_and_changed_file_is_parsed_again(repo: Path, cache_dir: Path) -> None:
    first = build_repo_map(repo, cache_dir=cache_dir)
    assert (first.parsed_files, first.cached_files) == (9, 0)
    second = build_repo_map(repo, cache_dir=cache_dir)
    assert (second.parsed_files, second.cached_files) == (0, 9)
    assert second.text == first.text

    stats = repo / "pkg" / "stats.py"
    stats.write_text(stats.read_text() + "\n\ndef variance(values):\n    return 0\n")
    third = build_repo_map(repo, cache_dir=cache_dir, token_budget=10_000)
    assert (third.parsed_files, third.cached_files) == (1, 8)
    assert "def variance(values):" in third.text

    # same size and content but a new mtime: parsed again (the key is path, mtime_ns, size)
    st = stats.stat()
    os.utime(stats, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert build_repo_map(repo, cache_dir=cache_dir).parsed_files == 1


def test_without_cache(repo: Path) -> None:
    first = build_repo_map(repo, use_cache=False)
    again = build_repo_map(repo, use_cache=False)
    assert first.parsed_files == again.parsed_files == 9


def test_unusable_cache_dir_does_not_fail_the_build(repo: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache dir should be")
    repo_map = build_repo_map(repo, cache_dir=blocker)
    assert repo_map.files_considered == 9


def test_corrupt_cache_file_does_not_fail_the_build(repo: Path, cache_dir: Path) -> None:
    cache_dir.mkdir()
    (cache_dir / "tags.sqlite3").write_bytes(b"this is not a database" * 100)
    assert build_repo_map(repo, cache_dir=cache_dir).files_considered == 9


def test_binary_huge_and_broken_files_are_skipped(repo: Path, cache_dir: Path) -> None:
    write_tree(repo, {
        "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        "blob.py": b"def looks_like_code():\x00\x01\x02 pass\n",  # a NUL byte: binary
        "huge.py": "def big():\n    pass\n" + "# filler\n" * 120_000,  # > 1 MB
        "minified.js": "function min(){return 1};" * 2000,  # one endless line
        "broken.py": "def fine():\n    pass\n\ndef broken(:\n  ][\n",
        "latin1.py": "def caf\xe9():\n    pass\n".encode("latin-1"),
    })
    git(repo, "add", "-A")
    repo_map = build_repo_map(repo, cache_dir=cache_dir, token_budget=10_000)
    text = repo_map.text
    assert "looks_like_code" not in text and "def big" not in text and "function min" not in text
    assert "def fine():" in text  # a file with a syntax error still gives its good definitions
    assert "latin1.py:" in text  # undecodable bytes are replaced, not fatal
    assert repo_map.files_considered == 11  # 9 + broken.py + latin1.py


def test_deleted_but_tracked_file_is_skipped(repo: Path, cache_dir: Path) -> None:
    (repo / "app" / "cli.py").unlink()
    repo_map = build_repo_map(repo, cache_dir=cache_dir, token_budget=10_000)
    assert "app/cli.py" not in repo_map.text
    assert repo_map.files_considered == 8


def test_non_git_directory_is_walked(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "plain"
    write_tree(root, {**FILES, "node_modules/dep/index.js": "function dep() {}\n", ".hidden/x.py": "def x(): pass\n"})
    repo_map = build_repo_map(root, cache_dir=cache_dir, token_budget=10_000)
    assert "def mean(values):" in repo_map.text
    assert "function dep" not in repo_map.text and ".hidden" not in repo_map.text
    assert "ignored/secret.py" in repo_map.text  # no git, so no .gitignore semantics


def test_explicit_file_list(repo: Path, cache_dir: Path) -> None:
    repo_map = build_repo_map(repo, files=["pkg/stats.py", "web/util.js", "no/such/file.py"], cache_dir=cache_dir,
                              token_budget=10_000)
    assert repo_map.files_considered == 2
    assert set(shown_files(repo_map.text)) == {"pkg/stats.py", "web/util.js"}


def test_empty_repository(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    git(root, "init", "-q")
    repo_map = build_repo_map(root, cache_dir=cache_dir)
    assert (repo_map.text, repo_map.tokens, repo_map.files_considered, repo_map.definitions) == ("", 0, 0, 0)


def test_default_cache_dir_is_under_smallcoder_home(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMALLCODER_HOME", str(tmp_path / "home"))
    build_repo_map(repo)
    assert (tmp_path / "home" / "repomap-cache" / "tags.sqlite3").is_file()
    assert build_repo_map(repo).cached_files == 9


def test_cache_survives_a_copy_of_the_repository(repo: Path, tmp_path: Path, cache_dir: Path) -> None:
    build_repo_map(repo, cache_dir=cache_dir)
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy)  # new paths: a separate cache entry, same result
    repo_map = build_repo_map(copy, cache_dir=cache_dir, token_budget=10_000)
    assert repo_map.parsed_files == 9 and "def mean(values):" in repo_map.text


def test_time_limit_skips_unparsed_files_but_keeps_mentioned_and_cached_ones(repo: Path, cache_dir: Path) -> None:
    first = build_repo_map(repo, cache_dir=cache_dir, mentioned_files=["go/main.go"], time_limit_s=0.0)
    # the deadline has passed before the first file, yet the mentioned file is read
    assert first.parsed_files == 1 and first.skipped_files == 8
    assert first.text.startswith("go/main.go:")
    second = build_repo_map(repo, cache_dir=cache_dir, time_limit_s=0.0)
    assert (second.cached_files, second.skipped_files) == (1, 8)  # the cache keeps what was parsed
    full = build_repo_map(repo, cache_dir=cache_dir, time_limit_s=60)
    assert (full.parsed_files, full.cached_files, full.skipped_files) == (8, 1, 0)
