"""What a fresh worktree lacks that the user's checkout has: submodules' files and ignored dependency folders.

`git worktree add` checks out tracked files only. A submodule is an empty folder there and `node_modules`
(or any other ignored folder the tests need) is absent, so the tests of a working project fail for reasons
that have nothing to do with the task. Both come from the user's checkout, without network:

- a submodule is cloned from the user's own checkout of it (`git clone --shared`: objects are borrowed, not
  copied) and checked out at the commit the run's base records — nested submodules too;
- an ignored dependency folder is made of links: a real folder in the worktree whose entries are symlinks to
  the user's (the sandbox shows those read-only; without a sandbox they are the user's own files).

What cannot be provided is reported with the one command that fixes it; preflight stops the run on it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.workspace.git import INTERNAL_CONFIG, git, git_out

SUBMODULE_FIX = "git submodule update --init --recursive"
LINKED_MARK = ".smallcoder-linked"  # in a provisioned folder: where its entries link to


@dataclass
class Missing:
    """Something the worktree needs that the user's checkout does not have either."""

    path: str  # relative to the repository
    what: str  # "submodule" | "dependencies"
    fix: str  # the one command that fixes it, run in the user's repository

    def message(self, repo: Path) -> str:
        if self.what == "submodule":
            return f"submodule {self.path} is not checked out in {repo} — run `{self.fix}` there, then try again"
        return f"{self.path} is missing in {repo} — run `{self.fix}` there, then try again"


@dataclass
class Provisioned:
    """What provision_worktree did: paths relative to the worktree, host paths the sandbox must show."""

    submodules: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    read_only: list[str] = field(default_factory=list)

    def record(self) -> dict[str, list[str]]:
        out = {"submodules": self.submodules, "linked": self.linked,
               "missing": [m.path for m in self.missing]}
        return {k: v for k, v in out.items() if v}


def submodule_entries(tree_dir: Path) -> list[tuple[str, str]]:
    """(path, commit) of each submodule (gitlink) in the index of the checkout at `tree_dir`."""
    out = []
    listing = git(["ls-files", "-s", "-z"], tree_dir).stdout.decode("utf-8", "surrogateescape")
    for line in listing.split("\0"):
        meta, _, path = line.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[0] == "160000":
            out.append((path, parts[1]))
    return out


def provision_worktree(repo: Path, worktree: Path, dependencies: tuple[str, ...] = ()) -> Provisioned:
    """Fill `worktree` from the user's checkout `repo`: its submodules, then the ignored `dependencies` folders."""
    done = Provisioned()
    _submodules(repo, worktree, "", done)
    for rel in dependencies:
        _link_ignored(repo, worktree, rel, done)
    return done


def _submodules(repo: Path, worktree: Path, prefix: str, done: Provisioned) -> None:
    for rel, commit in submodule_entries(worktree):
        shown = prefix + rel
        source, target = repo / rel, worktree / rel
        if (target / ".git").exists():
            continue
        if not (source / ".git").exists():
            done.missing.append(Missing(shown, "submodule", SUBMODULE_FIX))
            continue
        if git(["cat-file", "-e", f"{commit}^{{commit}}"], source, ok_codes=(0, 1, 128)).returncode != 0:
            done.missing.append(Missing(shown, "submodule", SUBMODULE_FIX))
            continue
        if target.exists() and any(target.iterdir()):
            done.missing.append(Missing(shown, "submodule", SUBMODULE_FIX))
            continue
        target.mkdir(parents=True, exist_ok=True)
        git(["clone", "-q", "--shared", "--no-checkout", str(source.resolve()), str(target)], worktree,
            config=INTERNAL_CONFIG)
        git(["checkout", "-q", "--detach", commit], target, config=INTERNAL_CONFIG)
        objects = Path(git_out(["rev-parse", "--path-format=absolute", "--git-common-dir"], source)) / "objects"
        done.read_only.append(str(objects))  # the clone borrows these (alternates)
        done.submodules.append(shown)
        _submodules(source, target, shown + "/", done)


def _link_ignored(repo: Path, worktree: Path, rel: str, done: Provisioned) -> None:
    """A real folder in the worktree holding one link per entry of the user's folder.

    The folder itself is real so that git ignores it whatever the pattern (`node_modules/` does not match a
    symlink); entries resolve to their real place, so Node finds their own dependencies next to them.
    """
    source, target = repo / rel, worktree / rel
    if not source.is_dir() or source.is_symlink() or target.exists() or target.is_symlink():
        return
    # Only what git ignores: a tracked or untracked folder would end up in the run's commit.
    # Asked in the user's checkout, where the folder exists (a `dir/` pattern matches only a directory).
    if git(["check-ignore", "-q", rel], repo, ok_codes=(0, 1, 128)).returncode != 0:
        return
    real = source.resolve()
    target.mkdir(parents=True)
    (target / LINKED_MARK).write_text(f"{real}\n", encoding="utf-8")
    for entry in real.iterdir():
        (target / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    with _linked_list(worktree).open("a", encoding="utf-8") as listing:  # for deprovision()
        listing.write(rel + "\n")
    done.linked.append(rel)
    done.read_only.append(str(real))


def _linked_list(worktree: Path) -> Path:
    """The worktree's own git directory keeps the list of linked folders (never part of a commit)."""
    return Path(git_out(["rev-parse", "--absolute-git-dir"], worktree)) / "smallcoder-linked"


def deprovision(worktree: Path) -> None:
    """Undo provision_worktree before the worktree is removed: git refuses to remove one holding submodules.

    Submodule folders are emptied (not removed, so the superproject sees them as not checked out, not deleted);
    links are removed. Never follows a link.
    """
    if not (worktree / ".git").is_file():
        return  # not a linked worktree: never touch the user's main checkout
    for rel, _ in submodule_entries(worktree):
        target = worktree / rel
        if target.is_dir() and not target.is_symlink() and (target / ".git").exists():
            shutil.rmtree(target)
            target.mkdir()
    listing = _linked_list(worktree)
    for rel in listing.read_text(encoding="utf-8").splitlines() if listing.is_file() else []:
        folder, mark = worktree / rel, worktree / rel / LINKED_MARK
        if not mark.is_file() or folder.is_symlink():
            continue
        for entry in folder.iterdir():
            if entry.is_symlink() or entry == mark:
                entry.unlink()
        if not any(folder.iterdir()):
            folder.rmdir()
