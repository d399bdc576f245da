"""git_diff and git_patch: what the reviewed change holds. In the working tree, untracked files that
are not ignored are new files of the change (as `git status` shows them), without touching the
user's index; the patch carries binary files and other encodings byte for byte."""

import subprocess

from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.review import parse_diff
from smallcoder.session.review import ReviewOptions, git_diff, git_patch, new_side_reader, review_change

from .conftest import git


def test_untracked_files_are_new_files_of_the_working_tree_change(repo):
    (repo / "extra.py").write_text("def half(x):\n    return x / 0\n")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "data.bin").write_bytes(b"\x00\x01")
    (repo / ".gitignore").write_text("*.log\nbuild/\n")
    (repo / "debug.log").write_text("ignored\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.py").write_text("ignored = True\n")
    status, index = git(repo, "status", "--porcelain"), (repo / ".git" / "index").read_bytes()
    files = {f.path: f.status for f in parse_diff(git_diff(repo, ref="HEAD", untracked=True)).files}
    assert files == {"extra.py": "added", "pkg/data.bin": "added", ".gitignore": "added"}
    assert "extra.py" not in git_diff(repo, ref="HEAD")  # only when asked for
    assert b"GIT binary patch" in git_patch(repo, ref="HEAD", untracked=True)
    assert git(repo, "status", "--porcelain") == status and (repo / ".git" / "index").read_bytes() == index


def test_an_untracked_file_is_reviewed_and_an_ignored_one_is_not(repo):
    (repo / "extra.py").write_text("def half(x):\n    return x / 0\n")
    (repo / ".gitignore").write_text("secret.py\n")
    (repo / "secret.py").write_text("def key():\n    return 1 / 0\n")
    listed = ('[{"file": "extra.py", "line": 2, "code": "return x / 0", '
              '"failure": "half(2) raises ZeroDivisionError instead of returning 1.0"}]')
    backend = ScriptedBackend(outputs=[listed], context_window=8192)
    result = review_change(backend, repo, git_diff(repo, ref="HEAD", untracked=True), new_side_reader(repo),
                           ReviewOptions(verify=False), untracked=True)
    assert [(f.path, f.start_line) for f in result.findings] == [("extra.py", 2)]
    prompt = backend.requests[0][0].content
    assert "return x / 0" in prompt and "return 1 / 0" not in prompt  # secret.py is ignored


def test_the_patch_keeps_bytes_the_diff_text_cannot(repo):
    latin = 'NAME = "caf\u00e9"\n'.encode("latin-1")
    (repo / "legacy.py").write_bytes(latin)
    (repo / "logo.png").write_bytes(b"\x89PNG\x00\x01")
    git(repo, "add", "legacy.py", "logo.png")
    patch = git_patch(repo, staged=True)
    assert latin in patch and b"GIT binary patch" in patch
    assert "caf\ufffd" in git_diff(repo, staged=True)  # the text for reading, not for applying
    target = repo.parent / "applied"
    subprocess.run(["git", "init", "-q", str(target)], check=True)
    subprocess.run(["git", "apply", "-"], cwd=target, input=patch, check=True)
    assert (target / "legacy.py").read_bytes() == latin and (target / "logo.png").read_bytes() == b"\x89PNG\x00\x01"
