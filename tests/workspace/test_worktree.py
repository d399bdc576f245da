from __future__ import annotations

import os
from pathlib import Path

import pytest

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.diff import apply_to_user_tree, worktree_diff
from smallcoder.workspace.worktree import commit_changes, create_worktree, remove_worktree, reset_worktree

from .conftest import RepoFactory, git, tree_state

BINARY = bytes(range(256)) * 4


def _make_dirty(repo: Path) -> None:
    """Every kind of uncommitted state a user can have, plus an existing stash entry."""
    (repo / "README.md").write_text("stashed edit\n")
    git(repo, "stash", "-q")  # an entry in the stash list that must survive
    (repo / "README.md").write_text("hello\nmodified, not staged\n")
    (repo / "src" / "app.py").write_text("def add(a, b):\n    return a - b  # staged\n")
    git(repo, "add", "src/app.py")
    (repo / "src" / "app.py").write_text("def add(a, b):\n    return a - b  # staged, then edited\n")
    (repo / "staged new.txt").write_text("staged new file\n")
    git(repo, "add", "staged new.txt")
    (repo / "untracked é 文件.txt").write_text("untracked unicode\n")
    (repo / "newdir").mkdir()
    (repo / "newdir" / "blob.bin").write_bytes(BINARY)
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "debug.log").write_text("ignored\n")


def test_clean_repo(repo: Path, worktrees: Path) -> None:
    before = tree_state(repo)
    wt = create_worktree(repo, "run1", worktrees)
    assert wt.repo == repo.resolve()
    assert wt.path == (worktrees / "run1").resolve() and wt.path.is_dir()
    assert wt.branch == "smallcoder/run1"
    assert not wt.snapshot
    assert wt.base_commit == wt.user_head == git(repo, "rev-parse", "HEAD").strip()
    assert git(wt.path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "smallcoder/run1"
    assert (wt.path / "src" / "app.py").read_text() == (repo / "src" / "app.py").read_text()
    assert worktree_diff(wt) == ""
    assert commit_changes(wt, "nothing") is None
    assert tree_state(repo) == before


def test_dirty_repo_is_copied_and_left_untouched(repo: Path, worktrees: Path) -> None:
    _make_dirty(repo)
    before = tree_state(repo)
    wt = create_worktree(repo, "run1", worktrees)
    assert tree_state(repo) == before

    assert wt.snapshot and wt.base_commit != wt.user_head
    assert git(repo, "rev-parse", f"{wt.base_commit}^").strip() == wt.user_head
    w = wt.path
    assert (w / "README.md").read_text() == "hello\nmodified, not staged\n"
    assert (w / "src" / "app.py").read_text() == "def add(a, b):\n    return a - b  # staged, then edited\n"
    assert (w / "staged new.txt").read_text() == "staged new file\n"
    assert (w / "untracked é 文件.txt").read_text() == "untracked unicode\n"
    assert (w / "newdir" / "blob.bin").read_bytes() == BINARY
    assert not (w / "debug.log").exists()  # ignored files stay out
    # The snapshot is the base: the agent starts with an empty diff and a clean tree.
    assert worktree_diff(wt) == ""
    assert git(w, "status", "--porcelain") == ""

    (w / "src" / "app.py").write_text("def add(a, b):\n    return a + b\n")
    diff = worktree_diff(wt)
    assert "+    return a + b" in diff and "README" not in diff and "staged new" not in diff
    assert tree_state(repo) == before
    sha = commit_changes(wt, "Fix add")
    assert sha and git(w, "rev-parse", "HEAD").strip() == sha
    assert git(w, "log", "-1", "--format=%s").strip() == "Fix add"
    assert git(w, "rev-parse", "HEAD^").strip() == wt.base_commit
    assert worktree_diff(wt) == diff  # committed or not, the same change
    assert tree_state(repo) == before


def test_deleted_and_mode_changed_files_are_snapshotted(new_repo: RepoFactory, worktrees: Path) -> None:
    repo = new_repo("r", {"gone.txt": "x\n", "run.sh": "echo hi\n", "keep.txt": "k\n"})
    (repo / "gone.txt").unlink()
    os.chmod(repo / "run.sh", 0o755)
    before = tree_state(repo)
    wt = create_worktree(repo, "r1", worktrees)
    assert wt.snapshot
    assert not (wt.path / "gone.txt").exists()
    assert os.access(wt.path / "run.sh", os.X_OK)
    assert tree_state(repo) == before


def test_diff_includes_new_binary_and_deleted_files(repo: Path, worktrees: Path) -> None:
    wt = create_worktree(repo, "run1", worktrees)
    (wt.path / "new file é.txt").write_text("brand new\n")
    (wt.path / "img.bin").write_bytes(BINARY)
    (wt.path / "README.md").unlink()
    (wt.path / "__pycache__").mkdir()
    (wt.path / ".gitignore").write_text("__pycache__/\n")
    (wt.path / "__pycache__" / "x.pyc").write_bytes(b"\0junk")
    index_before = (Path(git(wt.path, "rev-parse", "--absolute-git-dir").strip()) / "index").read_bytes()
    diff = worktree_diff(wt)
    assert "GIT binary patch" in diff
    assert "new file mode" in diff and "deleted file mode" in diff
    assert "brand new" in diff
    assert "x.pyc" not in diff  # ignored by the .gitignore the agent wrote
    # Taking the diff leaves the worktree's own index alone.
    assert (Path(git(wt.path, "rev-parse", "--absolute-git-dir").strip()) / "index").read_bytes() == index_before


def test_apply_success(repo: Path, worktrees: Path) -> None:
    (repo / "notes.txt").write_text("user's own untracked note\n")
    wt = create_worktree(repo, "run1", worktrees)
    (wt.path / "src" / "app.py").write_text("def add(a, b):\n    return a + b\n")
    (wt.path / "new dir").mkdir()
    (wt.path / "new dir" / "ü.bin").write_bytes(BINARY)
    diff = worktree_diff(wt)
    head = git(repo, "rev-parse", "HEAD")
    apply_to_user_tree(wt, diff)
    assert (repo / "src" / "app.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert (repo / "new dir" / "ü.bin").read_bytes() == BINARY
    assert (repo / "notes.txt").read_text() == "user's own untracked note\n"
    assert git(repo, "rev-parse", "HEAD") == head  # working tree only: no commit, no branch switch
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def test_apply_on_top_of_the_users_uncommitted_changes(repo: Path, worktrees: Path) -> None:
    (repo / "README.md").write_text("hello\nuser edit\n")
    wt = create_worktree(repo, "run1", worktrees)
    (wt.path / "README.md").write_text("hello\nuser edit\nagent line\n")
    apply_to_user_tree(wt, worktree_diff(wt))
    assert (repo / "README.md").read_text() == "hello\nuser edit\nagent line\n"


def test_apply_conflict_is_refused_and_changes_nothing(new_repo: RepoFactory, worktrees: Path) -> None:
    repo = new_repo("r", {"a.txt": "one\ntwo\nthree\n", "b.txt": "b\n"})
    wt = create_worktree(repo, "run1", worktrees)
    (wt.path / "b.txt").write_text("b changed by agent\n")  # applies cleanly on its own
    (wt.path / "a.txt").write_text("one\nTWO\nthree\n")
    (wt.path / "c.txt").write_text("agent's new file\n")
    diff = worktree_diff(wt)
    # Meanwhile the user edits the same line and creates a file of the same name.
    (repo / "a.txt").write_text("one\n2\nthree\n")
    (repo / "c.txt").write_text("user's file\n")
    before = tree_state(repo)
    with pytest.raises(WorkspaceError) as err:
        apply_to_user_tree(wt, diff)
    message = str(err.value)
    assert "a.txt" in message and "c.txt" in message and "b.txt" not in message
    assert tree_state(repo) == before  # not even the clean b.txt hunk was applied


def test_non_utf8_text_survives_diff_and_apply(new_repo: RepoFactory, worktrees: Path) -> None:
    latin = "caf\xe9\n".encode("latin-1")
    repo = new_repo("r", {"legacy.txt": latin, "plain.txt": "x\n"})
    wt = create_worktree(repo, "run1", worktrees)
    (wt.path / "legacy.txt").write_bytes(latin + "na\xefve\n".encode("latin-1"))
    (wt.path / "plain.txt").write_text("y\n")
    diff = worktree_diff(wt)
    diff.encode("utf-8")  # plain text, storable anywhere
    assert "+y" in diff  # other files stay readable
    apply_to_user_tree(wt, diff)
    assert (repo / "legacy.txt").read_bytes() == latin + "na\xefve\n".encode("latin-1")


def test_subdirectory_path_and_existing_names(repo: Path, worktrees: Path) -> None:
    wt = create_worktree(repo / "src", "run1", worktrees)
    assert wt.repo == repo.resolve()
    assert (wt.path / "src" / "app.py").is_file()
    with pytest.raises(WorkspaceError, match="already exists"):
        create_worktree(repo, "run1", worktrees)
    with pytest.raises(WorkspaceError, match="bad run id"):
        create_worktree(repo, "../escape", worktrees)


def test_worktree_dir_inside_the_repo_must_be_ignored(repo: Path) -> None:
    with pytest.raises(WorkspaceError, match="inside the repository and not ignored"):
        create_worktree(repo, "run1", repo / ".smallcoder" / "worktrees")
    assert not (repo / ".smallcoder").exists()
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text(".smallcoder/\n")
    before = git(repo, "status", "--porcelain", "--untracked-files=all")
    wt = create_worktree(repo, "run1", repo / ".smallcoder" / "worktrees")
    assert wt.path.is_dir()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == before


def test_commits_work_without_a_configured_identity(
    repo: Path, worktrees: Path, monkeypatch: pytest.MonkeyPatch, isolated_git: Path
) -> None:
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(key)
    isolated_git.write_text("[user]\n\tuseConfigOnly = true\n")
    (repo / "README.md").write_text("dirty\n")
    wt = create_worktree(repo, "run1", worktrees)
    assert wt.snapshot
    (wt.path / "README.md").write_text("agent\n")
    sha = commit_changes(wt, "agent change")
    assert sha
    assert git(wt.path, "log", "-1", "--format=%an <%ae>").strip() == "smallcoder <smallcoder@localhost>"


def test_user_hooks_do_not_run_for_internal_commits(repo: Path, worktrees: Path) -> None:
    hooks = repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    marker = repo.parent / "hook-ran"
    for name in ("pre-commit", "post-commit", "post-checkout"):
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\necho {name} >> '{marker}'\nexit 1\n")
        hook.chmod(0o755)
    (repo / "README.md").write_text("dirty\n")
    wt = create_worktree(repo, "run1", worktrees)
    (wt.path / "README.md").write_text("agent\n")
    assert commit_changes(wt, "agent change")
    assert not marker.exists()


def test_remove_worktree_keeps_the_branch(repo: Path, worktrees: Path) -> None:
    wt = create_worktree(repo, "run1", worktrees)
    (wt.path / "README.md").write_text("agent\n")
    with pytest.raises(WorkspaceError):
        remove_worktree(wt.path, repo)  # uncommitted work: git refuses, nothing is lost
    assert (wt.path / "README.md").read_text() == "agent\n"
    sha = commit_changes(wt, "agent change")
    remove_worktree(wt.path, repo)
    assert not wt.path.exists()
    assert git(repo, "rev-parse", "smallcoder/run1").strip() == sha
    with pytest.raises(WorkspaceError, match="main working tree"):
        remove_worktree(repo, repo)


def test_reset_worktree_returns_to_base_and_leaves_user_tree_alone(repo: Path, worktrees: Path) -> None:
    (repo / "README.md").write_text("user's uncommitted edit\n")
    before = tree_state(repo)
    wt = create_worktree(repo, "reset1", worktrees)
    (wt.path / "src" / "app.py").write_text("broken\n")
    (wt.path / "scratch.py").write_text("x = 1\n")
    reset_worktree(wt)
    assert (wt.path / "src" / "app.py").read_text() == "def add(a, b):\n    return a - b\n"
    assert (wt.path / "README.md").read_text() == "user's uncommitted edit\n"
    assert not (wt.path / "scratch.py").exists()
    assert worktree_diff(wt) == ""
    assert tree_state(repo) == before
