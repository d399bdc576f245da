"""`smallcoder review`: review a change with a local model; print findings or post a pull-request review.

Exit codes: 0 reviewed (findings or not), 1 with --fail-on and a finding at or above that severity,
2 a one-line error (bad flags, no model, GitHub refused), 130 interrupted (what was finished is shown).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from smallcoder.config import load_config
from smallcoder.errors import ConfigError, SmallcoderError
from smallcoder.paths import Home
from smallcoder.review import FORMATS, SEVERITIES, render
from smallcoder.review.checks import SEVERITY_WEIGHT
from smallcoder.session.review import (
    MODES,
    ReviewInterrupted,
    ReviewOptions,
    git_diff,
    git_patch,
    new_side_reader,
    review_change,
)
from smallcoder.session.setup import open_session
from smallcoder.workspace.git import git, has_commits


def review(
    repo: Annotated[Path, typer.Option("--repo", "-r", help="The repository (default: current directory).")] = Path("."),
    diff: Annotated[Optional[str], typer.Option("--diff", help="Review the working tree against REF (e.g. HEAD~1, main).")] = None,
    staged: Annotated[bool, typer.Option("--staged", help="Review the staged changes (the pre-commit hook mode).")] = False,
    pr: Annotated[Optional[str], typer.Option("--pr", help="Review a pull request: N, OWNER/REPO#N or its URL (its commits must be fetched).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"Output: {', '.join(FORMATS)}.")] = "text",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the output to this file instead of stdout.")] = None,
    post: Annotated[bool, typer.Option("--post", help="With --pr: post (or update) a pull-request review with line comments.")] = False,
    mode: Annotated[str, typer.Option("--mode", help="list: one call per chunk, the model lists defects as JSON (small models); agent: the model reads and searches with read-only tools.")] = "list",
    verify: Annotated[bool, typer.Option("--verify/--no-verify", help="Ask the model to confirm each finding that could not be run (one short call each).")] = True,
    run_checks: Annotated[bool, typer.Option("--run-checks/--no-run-checks", help="Run each Python finding's example call on the code before and after the change, in the sandbox; show it only when the results differ.")] = True,
    run_tests: Annotated[bool, typer.Option("--run-tests/--no-run-tests", help="Run the project's pytest suite on the code before and after the change, in the sandbox; a test that passed before and fails after is a finding.")] = True,
    test_timeout: Annotated[float, typer.Option("--test-timeout", min=1.0, help="Seconds the suite may run on the changed code (the reruns of its failures get as long).")] = 120.0,
    max_findings: Annotated[int, typer.Option("--max-findings", min=1, help="Show at most this many findings, the most severe first.")] = 10,
    min_confidence: Annotated[float, typer.Option("--min-confidence", min=0.0, max=1.0, help="Drop findings the model is less sure of.")] = 0.0,
    fail_on: Annotated[Optional[str], typer.Option("--fail-on", help=f"Exit 1 when a finding is at least this severe ({', '.join(SEVERITIES)}): for hooks and CI gates.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="PATH.gguf, hf:REPO[:QUANT], ollama:NAME, openai:URL#MODEL, auto or scripted:FILE.json")] = None,
    ctx: Annotated[Optional[int], typer.Option("--ctx", help="Context window in tokens (default: from the model, capped by memory).")] = None,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="Model server URL (Ollama or OpenAI-compatible).")] = None,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Allow a server that is not on this machine: your code is sent to it.")] = False,
) -> None:
    """Review a change (default: uncommitted changes against HEAD) and report concrete defects with file:line."""
    if sum((diff is not None, staged, pr is not None)) > 1:
        raise ConfigError("choose one of --diff, --staged and --pr")
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r} — use one of {', '.join(FORMATS)}")
    if mode not in MODES:
        raise ConfigError(f"unknown --mode {mode!r} — use one of {', '.join(MODES)}")
    if post and not pr:
        raise ConfigError("--post needs --pr: the pull request to post the review on")
    if fail_on is not None and fail_on not in SEVERITIES:
        raise ConfigError(f"--fail-on takes one of {', '.join(SEVERITIES)}, got {fail_on!r}")
    if not (repo / ".git").exists() and not repo.is_dir():
        raise ConfigError(f"repository not found: {repo}")
    repo = _repo_root(repo)  # run from a subdirectory, paths in the diff are still the repository's
    # No commits yet: the first commit's staged files are reviewed against the empty tree, as git's own
    # sample pre-commit hook does; anything else has nothing to compare with.
    first = not pr and not has_commits(repo)
    if first and not staged:
        raise ConfigError(f"{repo} has no commits yet, so there is nothing to compare with — `git add` the "
                          "files and review what the first commit will hold with --staged")
    console = Console(stderr=True, soft_wrap=True)
    client = ref = head_sha = None
    if pr:
        from smallcoder.github.client import GitHubClient
        from smallcoder.github.review import parse_pull_ref, pull_info

        ref = parse_pull_ref(pr, repo)
        client = GitHubClient.for_issue(ref)
        info = pull_info(client, ref)
        head_sha = info.head_sha
        _have_commits(repo, ref.number, info.base_sha, info.head_sha)
        change, patch = (git_diff(repo, base=info.base_sha, head=info.head_sha),
                         git_patch(repo, base=info.base_sha, head=info.head_sha))
        read_new = new_side_reader(repo, rev=info.head_sha)
        base = git(["merge-base", info.base_sha, info.head_sha], repo).stdout.decode().strip()  # `base...head`
    elif diff and ".." in diff:  # A..B (B against A) or A...B (B since it left A), as git diff reads them
        left, dots, right = diff.partition("...") if "..." in diff else diff.partition("..")
        left, right = left or "HEAD", right or "HEAD"
        change, patch = git_diff(repo, ref=diff), git_patch(repo, ref=diff)
        read_new = new_side_reader(repo, rev=right)
        base = left if dots == ".." else git(["merge-base", left, right], repo).stdout.decode().strip()
    else:  # the working tree (its untracked, not ignored files are new files, as `git status` shows them)
        against = None if staged else (diff or "HEAD")
        change = git_diff(repo, ref=against, staged=staged, untracked=not staged)
        patch = git_patch(repo, ref=against, staged=staged, untracked=not staged)
        read_new = new_side_reader(repo, staged=staged)
        base = (_empty_tree(repo) if first else "HEAD") if staged else (diff or "HEAD")
    options = ReviewOptions(mode=mode, verify=verify, run_checks=run_checks, run_tests=run_tests,
                            test_timeout=test_timeout, max_findings=max_findings,
                            min_confidence=min_confidence)
    unplaced = 0  # tests broken with no line to comment on: as severe as a finding would be ("high")
    interrupted = False
    if not change.strip():
        findings, summary = [], "smallcoder review: nothing to review (the change is empty)"
    else:
        config = load_config().with_flags(model=model, ctx=ctx, base_url=base_url, allow_remote=allow_remote)
        try:
            with open_session(config, Home.from_env()) as session:
                console.print(f"[dim]reviewing with {session.backend.name}…[/]", highlight=False)
                what = f"review {f'--pr {pr}' if pr else '--staged' if staged else '--diff ' + (diff or 'HEAD')}"
                result = review_change(session.backend, repo.resolve(), change, read_new, options,
                                       observers=session.observers, task=what, base=base,
                                       isolation=session.isolation, patch=patch,
                                       untracked=not pr and not (diff and ".." in diff))
        except ReviewInterrupted as stop:  # the tests' findings may have taken minutes: show them
            result, interrupted = stop.result, True
        findings, summary, unplaced = result.findings, result.summary, result.tests_unplaced
    text = render(findings, fmt, summary=summary)
    if output:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"cannot write {output}: {e.strerror or e}") from None
        console.print(summary, highlight=False)
    else:
        sys.stdout.write(text + "\n")
    if interrupted:
        console.print("[yellow]interrupted — the findings above are what was finished; the run is recorded "
                      "(`smallcoder runs list`)[/]", highlight=False)
        raise typer.Exit(130)
    if post and client is not None and ref is not None and head_sha:
        from smallcoder.github.review import post_review

        console.print(post_review(client, ref, findings, summary, head_sha).describe(), highlight=False)
    if fail_on and (any(SEVERITY_WEIGHT[f.severity] >= SEVERITY_WEIGHT[fail_on] for f in findings)
                    or (unplaced and SEVERITY_WEIGHT["high"] >= SEVERITY_WEIGHT[fail_on])):
        raise typer.Exit(1)


def _repo_root(path: Path) -> Path:
    """The top of the git work tree holding `path`; a one-line error when there is none (review reads
    its change from git, and has no --init to make one)."""
    proc = git(["rev-parse", "--show-toplevel"], path, ok_codes=(0, 128))
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        if "not a git repository" in err:
            raise ConfigError(f"{path.resolve()} is not in a git repository — smallcoder review reviews git changes "
                              "(`git init`, then stage or commit the files)")
        raise ConfigError(f"cannot use {path} as a git work tree: {err}")
    return Path(proc.stdout.decode("utf-8", "surrogateescape").strip()).resolve()


def _empty_tree(repo: Path) -> str:
    """The empty tree's id in `repo`'s hash (what the first commit is compared with)."""
    return git(["hash-object", "-t", "tree", "/dev/null"], repo).stdout.decode().strip()


def _have_commits(repo: Path, number: int, base: str, head: str) -> None:
    """The PR's commits must be in the local clone; fetch them from origin when they are not."""
    def missing() -> list[str]:
        return [sha for sha in (base, head)
                if git(["cat-file", "-e", f"{sha}^{{commit}}"], repo, ok_codes=(0, 1, 128)).returncode != 0]
    if not missing():
        return
    git(["fetch", "-q", "origin", base, f"pull/{number}/head"], repo, ok_codes=(0, 1, 128))
    if missing():
        raise SmallcoderError(f"the pull request's commits {', '.join(s[:10] for s in missing())} are not in {repo} "
                              f"— run `git fetch origin pull/{number}/head` (in Actions: checkout with fetch-depth: 0)")
