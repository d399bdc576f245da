"""`smallcoder tasks mine`: an evaluation set from a repository's own history, SWE-bench style.

    commit that fixes a bug and adds or changes a test
      ├─ its parent ─────────────────────► base_commit
      ├─ its changes to test files ──────► test_patch (hidden from the model)
      ├─ its changes to other files ─────► patch (the reference fix, for `--model gold`)
      ├─ its message ────────────────────► problem_statement
      └─ verified (mine_verify.py): tests that fail before the fix and pass after ─► FAIL_TO_PASS,
         tests that pass both times ─► PASS_TO_PASS; a candidate without FAIL_TO_PASS is dropped.

The selection follows SWE-bench's (Jimenez et al. 2024, §2.1): a change to the code plus a change
to the tests, with at least one test going from failing to passing. Commit messages stand in for
issue texts; messages that name a changed source file are left out with `exclude_named_files`, so
the model has to find the code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from smallcoder.errors import SmallcoderError
from smallcoder.session.batch_tasks import BatchTask
from smallcoder.workspace.git import find_repo_root, git

FIX_WORDS = re.compile(r"\b(fix(e[sd])?|bug|crash(es|ed)?|error|wrong|incorrect(ly)?|broken|regression|fail(s|ed|ure)?|"
                       r"issue|handle|correct(ly)?|exception|invalid|missing|should)\b|#\d+", re.IGNORECASE)
NOT_FIX = re.compile(r"^(merge|release|bump|revert|docs?\b|typo|style|lint|format|ci\b|refactor|test(s|ing)?:|"
                     r"add(s|ed)?\b|deprecate|implement|support)",
                     re.IGNORECASE)
# "(#12)" as GitHub writes merged pull requests and linked issues, or "fixes #12" / "closes #12".
LINKED = re.compile(r"\(#(\d+)\)|\b(?:fix(?:es|ed)?|close[sd]?|resolve[sd]?)\s+#(\d+)", re.IGNORECASE)
TRAILER = re.compile(r"^(signed-off-by|co-authored-by|reviewed-by|cc|change-id):", re.IGNORECASE)


class MineError(SmallcoderError):
    """The repository cannot be mined (not a git repository, bad --since)."""


@dataclass(frozen=True)
class Candidate:
    """A commit that changes both tests and code; not yet verified."""

    commit: str
    parent: str
    date: str  # ISO 8601, committer date
    message: str
    test_files: tuple[str, ...]
    source_files: tuple[str, ...]


def is_test_file(path: str) -> bool:
    """pytest's default discovery names (test_*.py, *_test.py) and anything under a tests/ or test/ folder."""
    p = PurePosixPath(path)
    return p.suffix == ".py" and (p.name.startswith("test_") or p.stem.endswith("_test")
                                  or any(part in ("tests", "test", "testing") for part in p.parts[:-1]))


def is_source_file(path: str) -> bool:
    """Python code that is part of the project (not its tests, docs, examples, build or packaging scripts)."""
    p = PurePosixPath(path)
    skip = {"docs", "doc", "examples", "example", "benchmarks", "scripts", "tools", ".github"}
    return (p.suffix == ".py" and not is_test_file(path) and p.name not in ("setup.py", "conftest.py", "noxfile.py")
            and not any(part in skip for part in p.parts[:-1]))


def clean_message(message: str) -> str:
    """The commit message without trailers (Signed-off-by...) and surrounding blank lines."""
    lines = [line for line in message.strip().splitlines() if not TRAILER.match(line.strip())]
    return "\n".join(lines).strip()


def names_file(message: str, files: tuple[str, ...]) -> bool:
    """True when the message names a changed file (by path or base name)."""
    lowered = message.lower()
    for path in files:
        p = PurePosixPath(path)
        if path.lower() in lowered or (p.name.lower() in lowered and p.name != "__init__.py"):
            return True
    return False


def linked_issue(message: str) -> int | None:
    """The issue or pull request number the message links (`(#12)`, `fixes #12`), or None."""
    m = LINKED.search(message)
    return int(m.group(1) or m.group(2)) if m else None


def github_issue_reader(root: Path) -> Callable[[int], str | None]:
    """Number → "title\n\nbody" of that issue on the GitHub repository `origin` names (None when the
    origin is not on GitHub, the issue cannot be read, or the github extra is missing)."""
    def read(number: int) -> str | None:
        try:
            from smallcoder.github.client import GitHubClient
            from smallcoder.github.refs import parse_issue_ref

            ref = parse_issue_ref(str(number), root)
            issue = GitHubClient.for_issue(ref).get_issue(ref, max_comments=0)
        except (SmallcoderError, ImportError):
            return None
        return f"{issue.title}\n\n{issue.body}".strip() or None
    return read


def looks_like_fix(message: str) -> bool:
    subject = message.strip().splitlines()[0] if message.strip() else ""
    return bool(FIX_WORDS.search(message)) and not NOT_FIX.match(subject)


def candidates(repo: Path, *, since: str | None = None, min_source_files: int = 1) -> Iterator[Candidate]:
    """Commits (newest first, merges skipped) that change test files and ≥ `min_source_files` source files
    and whose message reads like a fix. Raises MineError when `repo` is not a git repository."""
    try:
        root = find_repo_root(repo)
    except SmallcoderError as e:
        raise MineError(f"{repo} is not a git repository: {e}") from None
    args = ["log", "--no-merges", "--format=%x1e%H%x00%P%x00%cI%x00%B%x00", "--name-only"]
    if since:
        args.append(f"--since={since}")
    out = git(args, root).stdout.decode("utf-8", "replace")
    for chunk in out.split("\x1e")[1:]:
        fields = chunk.split("\x00")
        if len(fields) < 5:
            continue
        commit, parents, date, message, names = fields[0], fields[1].split(), fields[2], fields[3], fields[4]
        if len(parents) != 1 or not looks_like_fix(message):
            continue
        files = [f for f in names.split("\n") if f.strip()]
        tests = tuple(f for f in files if is_test_file(f))
        sources = tuple(f for f in files if is_source_file(f))
        if tests and len(sources) >= min_source_files:
            yield Candidate(commit, parents[0], date, clean_message(message), tests, sources)


def split_patches(repo: Path, cand: Candidate) -> tuple[str, str]:
    """(test_patch, patch): the commit's diff to its test files, and to everything else."""
    root = find_repo_root(repo)
    def diff(*paths: str) -> str:  # raw: stripping would cut a last context line that is a lone space
        args = ["diff", "--no-color", "--no-ext-diff", "--binary", cand.parent, cand.commit, "--", *paths]
        return git(args, root).stdout.decode("utf-8", "surrogateescape")

    return diff(*cand.test_files), diff(".", *(f":(exclude){f}" for f in cand.test_files))


def project_name(repo: Path) -> str:
    """The repository's name for instance ids: the origin's last path part, else the folder's name."""
    root = find_repo_root(repo)
    url = git(["remote", "get-url", "origin"], root, ok_codes=(0, 2, 128)).stdout.decode().strip()
    name = url.rstrip("/").split("/")[-1].removesuffix(".git") if url else root.name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "repo"


def mine(repo: Path, *, name: str | None = None, since: str | None = None, max_tasks: int = 20, max_candidates: int = 200,
         min_source_files: int = 1, exclude_named_files: bool = True, timeout_s: float = 120.0,
         env: dict[str, str] | None = None, issues: Callable[[int], str | None] | None = None,
         on_candidate: Callable[[Candidate, str], None] | None = None) -> list[BatchTask]:
    """Verified tasks from `repo`'s history, newest first, at most `max_tasks`.

    `issues` (e.g. github_issue_reader(repo)) turns a linked issue number into the problem statement,
    SWE-bench's source; the commit message stays when there is none. `env` holds variables for the test runs (kept with each task). `name` prefixes the instance ids (default: from the origin URL). At most `max_candidates` commits are verified (each costs two test runs). `on_candidate(c,
    verdict)` hears about every candidate ("kept" or why not). Raises MineError for a bad repo.
    """
    from smallcoder.session.mine_verify import verify

    root = find_repo_root(repo)
    name = name or project_name(root)
    tasks: list[BatchTask] = []
    tried = 0
    for cand in candidates(root, since=since, min_source_files=min_source_files):
        if len(tasks) >= max_tasks or tried >= max_candidates:
            break
        if exclude_named_files and names_file(cand.message, cand.source_files):
            if on_candidate:
                on_candidate(cand, "message names a changed file")
            continue
        tried += 1
        test_patch, patch = split_patches(root, cand)
        task, verdict = verify(root, name, cand, test_patch, patch, env=env, timeout_s=timeout_s)
        if on_candidate:
            on_candidate(cand, verdict)
        if task and issues:
            task = _with_issue(task, cand, issues)
        if task:
            tasks.append(task)
    return tasks


def _with_issue(task: BatchTask, cand: Candidate, issues: Callable[[int], str | None]) -> BatchTask:
    number = linked_issue(cand.message)
    text = issues(number) if number else None
    if not text or names_file(text, cand.source_files):  # an issue naming the file would give the answer away
        return task
    return replace(task, problem_statement=text, extra={**task.extra, "issue": number, "commit_message": cand.message})
