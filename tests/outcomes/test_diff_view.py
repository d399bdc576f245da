"""The diff in the terminal is the diff: blank context lines, tabs, trailing spaces and long lines survive,
so a copy from the screen applies with `git apply`."""

import io
import re
import subprocess
from pathlib import Path

from rich.console import Console

from smallcoder.cli.render import DiffView

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def shown(diff: str, *, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=30, force_terminal=terminal, color_system="standard" if terminal else None)
    console.print(DiffView(diff), soft_wrap=True, end="")
    return ANSI.sub("", out.getvalue())


def git(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, input=stdin)


def test_screen_text_is_the_diff_and_applies(tmp_path):
    repo = tmp_path / "r"
    repo.mkdir()
    before = "def f():\n\tx = 1  \n\n    return x\n\n\ndef g():\n    return '" + "y" * 80 + "'\n"
    (repo / "m.py").write_text(before)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "-m", "i")
    (repo / "m.py").write_text(before.replace("return x", "return x + 1").replace("'yy", "'zz"))
    diff = git(repo, "diff").stdout
    assert "\n \n" in diff and "\t" in diff  # a blank context line and a tab are in play
    git(repo, "checkout", "--", "m.py")
    for terminal in (False, True):
        screen = shown(diff, terminal=terminal)
        assert screen == diff
        check = git(repo, "apply", "--check", "-", stdin=screen)
        assert check.returncode == 0, check.stderr


def test_a_diff_without_final_newline_and_an_empty_one():
    assert shown("@@ -1 +1 @@\n-a\n+b", terminal=False) == "@@ -1 +1 @@\n-a\n+b\n"
    assert shown("", terminal=True) == ""


def test_colours_follow_the_line_kind():
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="standard").print(
        DiffView("@@ -1 +1 @@\n-a\n+b\n"), soft_wrap=True, end="")
    text = out.getvalue()
    assert "\x1b[31m-a" in text and "\x1b[32m+b" in text and "\x1b[36m@@" in text
