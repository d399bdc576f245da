"""Reading a work tree's full state into a git tree without touching its index or files.

`git add -A` against a throwaway copy of the index records tracked changes,
deletions and untracked non-ignored files in one step, binary-safe and with
modes and symlinks intact. Copying the real index keeps git's stat cache, so
only changed files are hashed again.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.git import git, git_out


@contextmanager
def scratch_index(work_tree: Path) -> Iterator[dict[str, str]]:
    """Environment that points git at a private copy of `work_tree`'s index; the copy is gone afterwards."""
    real = work_tree / git_out(["rev-parse", "--git-path", "index"], work_tree)
    with tempfile.TemporaryDirectory(prefix="smallcoder-index-") as tmp:
        index = Path(tmp) / "index"
        if real.is_file():
            # copy2 keeps the mtime: git trusts an entry whose stat matches unless it is as new as the index
            # itself ("racy git"); a copy stamped now would hide a same-size edit made in the same second.
            shutil.copy2(real, index)
        yield {"GIT_INDEX_FILE": str(index)}


def stage_everything(work_tree: Path, env: dict[str, str]) -> None:
    """`git add -A` into the scratch index named by env."""
    try:
        git(["add", "-A"], work_tree, env=env)
    except WorkspaceError:
        # A copied index can depend on files we did not copy (split index): rebuild it from HEAD.
        Path(env["GIT_INDEX_FILE"]).unlink(missing_ok=True)
        git(["read-tree", "HEAD"], work_tree, env=env)
        git(["add", "-A"], work_tree, env=env)


def work_tree_state(work_tree: Path) -> str:
    """Tree id of the work tree as it is on disk: tracked files as they are now, plus untracked non-ignored files."""
    with scratch_index(work_tree) as env:
        stage_everything(work_tree, env)
        return git_out(["write-tree"], work_tree, env=env)
