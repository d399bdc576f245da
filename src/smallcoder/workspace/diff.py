"""The agent's change as a patch, and applying that patch to the user's working tree.

The diff is taken through a scratch index, so the worktree's own index is
left alone and uncommitted new files are included. It is a git binary
patch: `git apply` reproduces binary files, modes and deletions exactly.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from smallcoder.errors import WorkspaceError
from smallcoder.workspace.git import git
from smallcoder.workspace.snapshot import scratch_index, stage_everything

if TYPE_CHECKING:  # worktree.py re-exports this module's functions, so no runtime import back
    from smallcoder.workspace.worktree import Worktree

# Plain, complete and stable whatever the user's diff settings (noprefix, external tools, color).
DIFF_ARGS = (
    "diff", "--cached", "--binary", "--no-color", "--no-ext-diff", "--no-textconv",
    "--no-renames", "--src-prefix=a/", "--dst-prefix=b/",
)  # fmt: skip
APPLY_ARGS = ("apply", "--whitespace=nowarn")
# What `git apply` says about a path it cannot patch.
APPLY_ERRORS = (
    re.compile(r"^error: patch failed: (.+):\d+$"),
    re.compile(r"^error: (.+): (?:patch does not apply|already exists in working directory|"
               r"No such file or directory|does not exist in index|does not match index|"
               r"wrong type|has type \S+, expected \S+)$"),
)  # fmt: skip


def worktree_diff(wt: Worktree) -> str:
    """Everything the agent changed since base_commit, committed or not, new files included (ignored files not)."""
    with scratch_index(wt.path) as env:
        stage_everything(wt.path, env)
        raw = git([*DIFF_ARGS, wt.base_commit], wt.path, env=env).stdout
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        # Some changed text is not UTF-8: send those files as binary patches (ASCII) instead.
        paths = _non_utf8_paths(wt, env)
        with tempfile.TemporaryDirectory(prefix="smallcoder-attr-") as tmp:
            attributes = Path(tmp) / "attributes"
            attributes.write_text("".join(f"{_attr_pattern(p)} -diff\n" for p in paths), encoding="utf-8")
            raw = git([*DIFF_ARGS, wt.base_commit], wt.path, env=env, config=("-c", f"core.attributesFile={attributes}")).stdout
    # surrogateescape keeps any byte the attributes could not cover, so applying it still reproduces the files.
    return raw.decode("utf-8", "surrogateescape")


def _non_utf8_paths(wt: Worktree, env: dict[str, str]) -> list[str]:
    names = git(["diff", "--cached", "--name-only", "-z", "--no-renames", wt.base_commit], wt.path, env=env).stdout
    bad = []
    for name in filter(None, names.split(b"\0")):
        one = git([*DIFF_ARGS, wt.base_commit, "--", name.decode("utf-8", "surrogateescape")], wt.path, env=env).stdout
        try:
            one.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(name.decode("utf-8", "surrogateescape"))
    return bad


def _attr_pattern(path: str) -> str:
    """A gitattributes pattern matching exactly `path` (C-quoted, glob characters escaped)."""
    escaped = re.sub(r"([*?\[\\])", r"\\\1", path)
    quoted = escaped.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"/{quoted}"'


def apply_to_user_tree(wt: Worktree, diff: str) -> None:
    """Apply `diff` to the user's working tree, all or nothing.

    Checked first with `git apply --check`; if any file does not take the
    patch, nothing is written and the WorkspaceError names those files.
    """
    if not diff.strip():
        return
    patch = diff.encode("utf-8", "surrogateescape")
    check = git([*APPLY_ARGS, "--check", "-"], wt.repo, input=patch, ok_codes=(0, 1, 128))
    if check.returncode != 0:
        stderr = check.stderr.decode("utf-8", "replace")
        files = _conflicting_files(stderr)
        named = ", ".join(files) if files else stderr.strip().replace("\n", "; ")
        raise WorkspaceError(
            f"the change does not apply to your working tree ({wt.repo}) — conflicts in: {named}; "
            f"nothing was changed: merge branch {wt.branch} yourself, or undo your edits to those files and retry"
        )
    # git apply is itself all-or-nothing: it writes no file unless every hunk fits.
    git([*APPLY_ARGS, "-"], wt.repo, input=patch)


def _conflicting_files(stderr: str) -> list[str]:
    files: list[str] = []
    for line in stderr.splitlines():
        for pattern in APPLY_ERRORS:
            match = pattern.match(line.strip())
            if match and match.group(1) not in files:
                files.append(match.group(1))
    return files
