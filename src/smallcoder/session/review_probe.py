"""Running review findings' example calls on both versions of the code (the logic is in review/probe.py).

    with Prober(repo, base="HEAD", patch=git_patch(repo, ref="HEAD"), isolation=session.isolation) as prober:
        verdict = prober.check(finding)      # Verdict("differs", old, new) / "same" / "unrunnable"

The two versions are scratch copies outside the repository: the base commit's tracked files
(through a private index) and the same with the reviewed diff applied; the user's checkout, index and
refs are never touched. The patch is applied as git wrote it (binary files and any encoding included):
the copy must hold what the change holds, not what a text decoding of it kept. The copies are read-only inside the sandbox, so no call changes what the next
one runs. Each call runs in the sandbox (the fix runs' isolation) with the project's own
interpreter and environment, a timeout and PYTHONHASHSEED=0, so that set order cannot fake a
difference. The trees are made on the first check and removed on close. When they cannot be made
(no base, a change that does not apply, no sandbox, a broken environment) every check is
"unrunnable" and `problem` says why, once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from smallcoder.errors import SmallcoderError
from smallcoder.review.diff import parse_diff
from smallcoder.review.findings import Finding
from smallcoder.review.probe import (
    Outcome,
    compare,
    enclosing_class,
    how_to_reach,
    import_target,
    probe_script,
    read_outcome,
    statement_lines,
)
from smallcoder.sandbox import Isolation, Sandbox, choose_isolation, open_sandbox
from smallcoder.workspace.find_env import find_environment
from smallcoder.workspace.processes import sweep_scratch
from smallcoder.workspace.runner import CommandResult, run_command

SCRIPT_NAME = ".smallcoder-probe.py"
SCRATCH_PREFIX = "smallcoder-review-"  # + pid: a later review removes copies whose process is gone
MAX_UNTRACKED_BYTES = 50 << 20
MAX_GENERATED_BYTES = 1 << 20
SIDES = ("old", "new")
NO_CALL = "the finding names no call to run"
CALLS_OFF = "running findings' calls is turned off"


@dataclass(frozen=True)
class Verdict:
    """`result`: "differs" or "same" (the call ran the finding's lines on the new side), "unreached"
    (it ran, but not those lines), or "unrunnable"; the two outcomes when the call ran (old, new)."""

    result: str
    old: Outcome | None = None
    new: Outcome | None = None
    why: str = ""  # for "unrunnable": the reason, one line

    @property
    def retryable(self) -> bool:
        """Undecided because of the call itself (unknown name, not Python, none given, or it never
        ran the finding's lines), which a better call can fix; not when the module cannot be
        imported or the runs cannot happen."""
        if self.result == "unreached":
            return True
        if self.result != "unrunnable":
            return False
        if self.old is None:
            return self.why == NO_CALL
        return not (self.old.raised or "").startswith(("ImportError", "probe"))


def _copy_untracked(repo: Path, trees: tuple[Path, ...], changed: set[str]) -> None:
    """Copy the working tree's untracked, not ignored files into `trees` (up to MAX_UNTRACKED_BYTES),
    except those in `changed`: a change that adds them (git_diff's `untracked`) puts them in the new copy."""
    listed = subprocess.run(["git", "ls-files", "-z", "--others", "--exclude-standard"], cwd=repo,
                            capture_output=True, check=False).stdout.decode(errors="replace")
    budget = MAX_UNTRACKED_BYTES
    for rel in filter(None, listed.split("\0")):
        source = repo / rel
        if rel in changed or not source.is_file() or source.is_symlink():
            continue
        budget -= source.stat().st_size
        if budget < 0:
            break
        for tree in trees:
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / rel)


def _copy_generated(repo: Path, tree: Path) -> None:
    """Copy the working tree's ignored Python files that sit among the sources (setuptools-scm's or
    hatch-vcs's `_version.py`, other generated modules) into `tree`, up to MAX_GENERATED_BYTES: without
    them the package does not import in a copy of the tracked files, and no test or call can run.
    Ignored folders (.venv, build/) are listed as folders by git and skipped whole."""
    listed = subprocess.run(["git", "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"],
                            cwd=repo, capture_output=True, check=False).stdout.decode(errors="replace")
    budget = MAX_GENERATED_BYTES
    for rel in filter(None, listed.split("\0")):
        source = repo / rel
        if not rel.endswith(".py") or not source.is_file() or source.is_symlink():
            continue
        budget -= source.stat().st_size
        if budget < 0:
            break
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, tree / rel)


def _unreached(finding: Finding, new: Outcome, source: str) -> str:
    """Why a call is no evidence, in words the model can act on: what it did, where in the file it
    stopped, and what guards the finding's line (review.probe.how_to_reach)."""
    lines = source.splitlines()
    said = f"it {new.describe()} without running line {finding.start_line} of {finding.path}"
    if 0 < new.last_line <= len(lines):
        said += f"; the last line of it that ran was {new.last_line}: `{lines[new.last_line - 1].strip()}`"
    path = how_to_reach(source, finding.start_line)
    return said + (f"; {path}" if path else "")


class Prober:
    """Runs `finding.check` (a Python call) on the code at `base` and at `base` + `patch`.

    repo: the repository root. base: a commit-ish the diff applies to (None: nothing can run).
    patch: the change, best byte for byte as git wrote it (session.review.git_patch); text is
    encoded as UTF-8, which cannot carry binary files or other encodings.
    timeout: seconds per run of a call. untracked: the diff is of the working tree, whose untracked
    files the code may import. calls=False: check() runs nothing (run_in still does: the tests). Never raises for the project's or the call's failures."""

    def __init__(self, repo: Path, base: str | None, patch: bytes | str, *, isolation: Isolation | None = None,
                 timeout: float = 10.0, untracked: bool = False, calls: bool = True) -> None:
        self.repo = Path(repo).resolve()
        self.base = base
        self.patch = patch.encode() if isinstance(patch, str) else patch
        self.isolation = isolation
        self.timeout = timeout
        self.untracked = untracked
        self.calls = calls  # False: findings' calls are not run (the user turned them off), tests may be
        self.problem = "" if base else "no base commit to run the old code from"
        self._tmp: Path | None = None
        self._sandboxes: dict[str, Sandbox] = {}
        self._python = sys.executable
        self.runs = 0

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check(self, finding: Finding) -> Verdict:
        """Run the finding's call on both sides and compare (see review.probe.compare)."""
        if not self.calls:
            return Verdict("unrunnable", why=CALLS_OFF)
        if not self._ready():
            return Verdict("unrunnable", why=self.problem)
        if not finding.check.strip():
            return Verdict("unrunnable", why=NO_CALL)
        assert self._tmp is not None
        target = import_target(self._tmp / "new", finding.path)
        if target is None:
            return Verdict("unrunnable", why=f"{finding.path} is not an importable Python module")
        try:
            source = (self._tmp / "new" / finding.path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            source = ""
        script = probe_script(finding.check, [target], enclosing_class(source, finding.start_line), finding.path)
        old = self._run("old", script)
        if not old.ran:  # the call never reached the code: running it on the new side says nothing more
            return Verdict("unrunnable", old, None, old.raised or "")
        new = self._run("new", script)
        if (new.raised or "").startswith(("ImportError", "probe")) and not new.stdout:
            # The change stops the module importing, or makes the call hang: evidence without tracing.
            return Verdict("differs", old, new)
        result = compare(old, new)
        if result == "unrunnable":
            return Verdict(result, old, new, old.raised or new.raised or "")
        ran = statement_lines(source, finding.start_line)
        # A result that never ran the change is no evidence. Module-level lines run on import.
        if not any(n in new.lines or n in new.imported for n in ran):
            return Verdict("unreached", old, new, _unreached(finding, new, source))
        if result == "differs" and compare(old, self._run("old", script)) != "same":
            return Verdict("unrunnable", old, new, "the call gives a different result each time it runs "
                                                   "(time, randomness, object ids)")
        return Verdict(result, old, new)

    def tree(self, side: str) -> Path | None:
        """The `side` ("old" or "new") copy's folder once made, else None."""
        return self._tmp / side if self._tmp is not None and not self.problem else None

    def run_in(self, side: str, argv: list[str], files: dict[str, str], *, timeout: float) -> CommandResult | None:
        """Run `argv` (its first item "python" stands for the project's interpreter) at the top of the
        `side` ("old" or "new") copy, in its sandbox, after writing `files` (relative path → text) there.
        None when the copies cannot be made (`problem` says why)."""
        if not self._ready():
            return None
        assert self._tmp is not None
        tree = self._tmp / side
        for name, text in files.items():
            (tree / name).write_text(text, encoding="utf-8")
        argv = [self._python if argv[:1] == ["python"] else argv[0], *argv[1:]]
        return run_command(argv, tree, timeout=timeout, max_output_chars=200_000,
                           wrap=self._sandboxes[side].wrap, env=self._sandboxes[side].runner_env)

    def _run(self, side: str, script: str) -> Outcome:
        assert self._tmp is not None
        tree = self._tmp / side
        (tree / SCRIPT_NAME).write_text(script, encoding="utf-8")
        self.runs += 1
        res = run_command([self._python, SCRIPT_NAME], tree, timeout=self.timeout, max_output_chars=20_000,
                          wrap=self._sandboxes[side].wrap, env=self._sandboxes[side].runner_env)
        if res.timed_out:
            return Outcome(raised=f"probe: the call did not finish in {self.timeout:g} s")
        # The two copies live at different paths; a path in a result must not count as a difference.
        return read_outcome(res.output, mask=str(tree))

    def _ready(self) -> bool:
        """Make the two trees and their sandboxes once; False (with `problem` set) when that fails."""
        if self._tmp is not None or self.problem:
            return not self.problem
        sweep_scratch(SCRATCH_PREFIX)
        self._tmp = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        try:
            self._make_trees(self._tmp)
            isolation = self.isolation or choose_isolation()
            envs = find_environment(self.repo)
            if envs.python and envs.python.executable:
                self._python = envs.python.executable
            for side in SIDES:  # the trees are plain copies, not worktrees: nothing to provision
                self._sandboxes[side] = open_sandbox(
                    isolation, self._tmp / side, repo=self.repo, run_id=f"review-probe-{side}",
                    extra_env={**envs.run_env(self._tmp / side), "PYTHONHASHSEED": "0",
                               "PYTHONDONTWRITEBYTECODE": "1"},
                    extra_read_only=tuple(envs.read_only),
                    read_only_worktree=True)  # one call must not change what the next one runs
        except (SmallcoderError, OSError, subprocess.SubprocessError) as e:
            self.problem = f"cannot run the code: {' '.join(str(e).split())[:200]}"
        return not self.problem

    def _make_trees(self, tmp: Path) -> None:
        """old: the base commit's tracked files (read-tree + checkout-index into a private index: unlike
        `git archive`, no export-ignore or export-subst); new: a copy with the patch applied. With
        `untracked`, both get the working tree's untracked, not ignored files that the change does not
        add: the code under review imports them in the user's checkout."""
        old, new = tmp / "old", tmp / "new"
        index = {**os.environ, "GIT_INDEX_FILE": str(tmp / "index")}
        for argv in (["git", "read-tree", str(self.base)],
                     ["git", "checkout-index", "-a", "-f", f"--prefix={old}/"]):
            done = subprocess.run(argv, cwd=self.repo, env=index, capture_output=True, check=False)
            if done.returncode != 0:
                raise SmallcoderError(f"{' '.join(argv[:2])} {self.base}: "
                                      f"{done.stderr.decode(errors='replace').strip()[:200]}")
        old.mkdir(exist_ok=True)
        _copy_generated(self.repo, old)
        files = parse_diff(self.patch.decode("utf-8", "replace")).files
        if self.untracked:
            _copy_untracked(self.repo, (old,), {f.path for f in files})
        shutil.copytree(old, new, symlinks=True)
        # Outside any repository (the ceiling stops git looking upward), `git apply` patches plain files.
        env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp)}
        # Without `--binary` (git writes its data for every binary file, or for none) a binary file is one
        # "Binary files … differ" line, which git apply refuses: it is left out then.
        binary = [] if b"\nGIT binary patch\n" in self.patch else [f"--exclude={f.path}" for f in files if f.binary]
        applied = subprocess.run(["git", "apply", "--whitespace=nowarn", *binary, "-"], cwd=new, env=env,
                                 input=self.patch, capture_output=True, check=False)
        if applied.returncode != 0:
            first = (applied.stderr.decode(errors="replace").strip().splitlines() or ["git apply failed"])[0]
            raise SmallcoderError(f"the change does not apply to {self.base}: {first}")

    def close(self) -> None:
        for sandbox in self._sandboxes.values():
            sandbox.close()
        self._sandboxes.clear()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
        self.problem = self.problem or "closed"
