"""list_files, read_file and write_file on real files in a real git repository."""

from __future__ import annotations

import pytest

from smallcoder.errors import ToolError
from smallcoder.tools.files import MAX_LIST_ENTRIES, list_files, read_file, write_file

from .conftest import git, write


def test_list_files_respects_gitignore(ctx, repo):
    write(repo, ".gitignore", "build/\n*.log\n")
    write(repo, "src/app.py", "print(1)\n")
    write(repo, "README.md", "# hi\n")
    write(repo, "build/out.bin", "x")
    write(repo, "debug.log", "x")
    git(repo, "add", "src/app.py")
    out = list_files(ctx)
    assert out.splitlines() == [".gitignore", "README.md", "src/app.py"]
    assert list_files(ctx, "build") == "no files under build (it is empty or ignored by .gitignore)"


def test_list_files_subdirectory_and_missing(ctx, repo):
    write(repo, "src/a.py", "")
    write(repo, "src/pkg/b.py", "")
    write(repo, "docs/c.md", "")
    assert list_files(ctx, "src").splitlines() == ["src/a.py", "src/pkg/b.py"]
    with pytest.raises(ToolError, match="nope does not exist"):
        list_files(ctx, "nope")


def test_list_files_hides_deleted_tracked_files(ctx, repo):
    write(repo, "gone.py", "")
    write(repo, "kept.py", "")
    git(repo, "add", ".")
    (repo / "gone.py").unlink()
    assert list_files(ctx).splitlines() == ["kept.py"]


def test_list_files_summarises_directories_when_many(ctx, repo):
    write(repo, "main.py", "")
    for i in range(MAX_LIST_ENTRIES + 50):
        write(repo, f"data/part{i // 100}/f{i}.txt", "")
    write(repo, "src/x.py", "")
    out = list_files(ctx).splitlines()
    assert "main.py" in out
    assert "src/x.py" in out
    assert "data/part0/ (100 files)" in out
    assert "data/part2/ (50 files)" in out
    assert out[-1].startswith(f"[{MAX_LIST_ENTRIES + 52} files; directories are summarised")
    assert len(out) <= MAX_LIST_ENTRIES + 1


def test_list_files_without_git_falls_back_to_walk(tmp_path):
    from smallcoder.tools.base import ToolContext

    root = tmp_path / "plain"
    write(root, "a.py", "")
    write(root, "node_modules/x.js", "")
    write(root, "pkg/b.py", "")
    assert list_files(ToolContext(root=root)).splitlines() == ["a.py", "pkg/b.py"]


def test_read_file_numbers_lines(ctx, repo):
    write(repo, "a.py", "import os\n\ndef f():\n    return 1\n")
    assert read_file(ctx, "a.py") == "   1| import os\n   2| \n   3| def f():\n   4|     return 1"


def test_read_file_ranges(ctx, repo):
    write(repo, "n.txt", "".join(f"line {i}\n" for i in range(1, 501)))
    out = read_file(ctx, "n.txt", start_line=10, end_line=12)
    assert out == "  10| line 10\n  11| line 11\n  12| line 12\n[lines 10-12 of 500; read_file with start_line=13 for more]"
    out = read_file(ctx, "n.txt", start_line=499)
    assert out.endswith(" 500| line 500\n[lines 499-500 of 500]")
    out = read_file(ctx, "n.txt", end_line=2)
    assert out.startswith("   1| line 1\n   2| line 2\n[lines 1-2 of 500")
    with pytest.raises(ToolError, match="start_line 600 is past the end of n.txt, which has 500 lines"):
        read_file(ctx, "n.txt", start_line=600)
    with pytest.raises(ToolError, match="end_line 3 is before start_line 5"):
        read_file(ctx, "n.txt", start_line=5, end_line=3)


def test_read_file_default_window_and_paging(ctx, repo):
    write(repo, "n.txt", "".join(f"line {i}\n" for i in range(1, 1001)))
    out = read_file(ctx, "n.txt")
    assert out.splitlines()[-2] == " 250| line 250"
    assert out.endswith("[lines 1-250 of 1000; read_file with start_line=251 for more]")
    # Long lines page by the observation budget instead of being cut in the middle.
    write(repo, "wide.txt", "".join(f"{i:03d} " + "x" * 300 + "\n" for i in range(1, 101)))
    out = read_file(ctx, "wide.txt")
    assert len(out) <= ctx.max_observation_chars
    last = out.splitlines()[-1]
    assert last.startswith("[lines 1-") and "start_line=" in last


def test_read_file_refuses_binary_and_undecodable(ctx, repo):
    write(repo, "img.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(repo, "latin.txt", "caf\xe9".encode("latin-1"))
    with pytest.raises(ToolError, match="img.png is a binary file"):
        read_file(ctx, "img.png")
    with pytest.raises(ToolError, match="latin.txt is not UTF-8 text"):
        read_file(ctx, "latin.txt")


def test_read_file_errors_suggest_close_paths(ctx, repo):
    write(repo, "src/pkg/models.py", "x = 1\n")
    with pytest.raises(ToolError, match=r"file models.py does not exist; did you mean src/pkg/models.py\?"):
        read_file(ctx, "models.py")
    with pytest.raises(ToolError, match="src is a directory; use list_files"):
        read_file(ctx, "src")
    write(repo, "empty.txt", "")
    assert read_file(ctx, "empty.txt") == "empty.txt is empty"


def test_read_file_shows_crlf_file_without_carriage_returns(ctx, repo):
    write(repo, "w.txt", "a\r\nb\r\n")
    assert read_file(ctx, "w.txt") == "   1| a\n   2| b"


def test_write_file_creates_with_parents_and_overwrites(ctx, repo):
    assert write_file(ctx, "new/pkg/mod.py", "a = 1\nb = 2\n") == "created new/pkg/mod.py (2 lines)"
    assert (repo / "new/pkg/mod.py").read_text() == "a = 1\nb = 2\n"
    assert write_file(ctx, "new/pkg/mod.py", "a = 3\n") == "replaced new/pkg/mod.py (1 line)"
    assert (repo / "new/pkg/mod.py").read_text() == "a = 3\n"


def test_write_file_keeps_crlf_of_existing_file(ctx, repo):
    write(repo, "win.txt", "old\r\ntext\r\n")
    write_file(ctx, "win.txt", "new\ntext\n")
    assert (repo / "win.txt").read_bytes() == b"new\r\ntext\r\n"


def test_write_file_refuses_a_new_python_file_that_does_not_compile(ctx, repo):
    with pytest.raises(ToolError, match=r"write_file was not applied: bad.py would not compile: SyntaxError.*line 1"):
        write_file(ctx, "bad.py", "def f(:\n    pass\n")
    assert not (repo / "bad.py").exists()


def test_write_file_refuses_outside_and_git(ctx, repo):
    with pytest.raises(ToolError, match="outside the repository"):
        write_file(ctx, "../evil.txt", "x")
    with pytest.raises(ToolError, match="inside .git"):
        write_file(ctx, ".git/hooks/pre-commit", "x")
    assert not (repo.parent / "evil.txt").exists()
