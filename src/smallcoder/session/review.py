"""`smallcoder review`: a change (a git diff) in, checked findings out.

    diff_text = git_diff(repo, ref="HEAD~1")
    result = review_change(session.backend, repo, diff_text, new_side_reader(repo), ReviewOptions(),
                           observers=session.observers)      # recorded in the run store
    print(render(result.findings, "text", summary=result.summary))

The default mode ("list") is built for small models: per chunk of the diff (session/review_context.py)
one call without tools, in which the model lists suspected defects as a small JSON array (file, new-side
line, the line's code, a concrete failure, a confidence) or `[]`, read leniently (review/reply.py) and
asked again once when unreadable. Mode "agent" (session/review_agent.py) instead gives the model
read-only tools and report_finding. Either way the findings then pass the checks (review/checks.py),
near-duplicates merge, an optional second pass asks the model yes/no per finding against the code,
and the rest are ranked and capped.

Before that yes/no question, a finding on a Python file that names a call (its "input") is checked by
running the call on the code before and after the change (session/review_probe.py): the same result
on both sides drops it, a different one keeps it with the observed results as its scenario. Only the
findings that could not be run go on to the question. A small model's yes/no is no evidence (see
benchmarks/results/review.md); a run is.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from smallcoder.agent.events import Observer
from smallcoder.agent.prompts import render
from smallcoder.backends.base import Backend
from smallcoder.errors import ConfigError, SmallcoderError
from smallcoder.review import Dropped, Finding, ReviewDiff, check_findings, merge_duplicates, parse_diff, rank_and_cap
from smallcoder.review.probe import clip
from smallcoder.review.reply import read_list_reply
from smallcoder.sandbox import Isolation
from smallcoder.session.review_agent import agent_chunk, findings_in_text
from smallcoder.session.review_context import Chunk, enclosing_spans, make_chunks, numbered, numbered_hunk
from smallcoder.session.review_probe import MAX_UNTRACKED_BYTES, Prober
from smallcoder.session.review_record import ReviewRecorder
from smallcoder.session.review_tests import TestEvidence, run_tests
from smallcoder.types import Message
from smallcoder.workspace.git import git

__all__ = ["MODES", "ReviewInterrupted", "ReviewOptions", "ReviewResult", "findings_in_text", "git_diff",
           "git_patch", "new_side_reader", "review_change"]

SYSTEM_OVERHEAD_TOKENS = 1_500  # system prompt + tool schemas, as DESIGN.md budgets them
VERIFY_CONTEXT = 8  # lines shown around a finding outside any function
MODES = ("list", "agent")
CALL_AGAIN_TOKENS = 160  # a few lines of Python
_PY_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)(?:```|$)", re.S)
VERIFY_TOKENS = 32  # the verdict is the first word; the reason after it is cut short (CPU generation is slow)

OFF = "off"  # Prober.problem when the user turned the run checks off

@dataclass(frozen=True)
class ReviewOptions:
    """mode: "list" (one call per chunk, no tools: small models) or "agent" (read-only tools and
    report_finding). verify: ask the model yes/no per finding (one short call each). max_findings:
    the cap on what is shown. min_confidence: findings below it are dropped. max_steps: model calls
    per chunk in agent mode. max_per_chunk: findings per chunk kept for checking. list_retries: how
    often an unreadable list reply is asked for again. map_budget: repo-map tokens per chunk in agent
    mode; list_map_budget the same in list mode, 0 by default: the map's names and signatures did not
    help the list step and cost a third of its prompt, and prompt time dominates on a CPU."""

    mode: str = "list"
    verify: bool = True
    run_checks: bool = True
    check_timeout: float = 10.0
    run_tests: bool = True
    test_timeout: float = 120.0
    check_retries: int = 2
    max_findings: int = 10
    min_confidence: float = 0.0
    max_steps: int = 6
    max_per_chunk: int = 5
    max_reply_tokens: int = 768
    list_reply_tokens: int = 384
    list_retries: int = 1
    map_budget: int = 512
    list_map_budget: int = 0


@dataclass
class ReviewResult:
    findings: list[Finding]
    dropped: list[Dropped] = field(default_factory=list)
    chunks: int = 0
    files: int = 0
    model_calls: int = 0
    unparsable: int = 0  # chunks from whose replies nothing could be read
    run_id: str = ""  # the run store's id of this review
    checks_run: int = 0  # findings whose call ran on both versions
    checks_problem: str = ""  # why no call could run (no base, no sandbox, …), or ""
    unreviewed: int = 0  # text files deleted or emptied: nothing on the new side to comment on
    tests: str = ""  # what running the project's tests gave ("170 ran, 1 broken by the change"), or ""
    tests_unplaced: int = 0  # tests the change broke with no changed line to comment on (deleted files, data)
    interrupted: bool = False  # Ctrl-C: the findings are what was finished before it

    @property
    def summary(self) -> str:
        n = len(self.findings)
        what = f"{n} finding{'s' * (n != 1)}" if n else "no findings"
        off = "; interrupted: only what was finished is shown" if self.interrupted else ""
        off += f"; nothing could be run: {self.checks_problem}" if self.checks_problem else ""
        off += f"; tests: {self.tests}" if self.tests and not self.checks_problem else ""
        if self.unreviewed:
            off += (f"; {self.unreviewed} deleted or emptied file{'s' * (self.unreviewed != 1)} not reviewed: "
                    "no line is left to comment on")
        return (f"smallcoder review: {what} in {self.files} changed file{'s' * (self.files != 1)} "
                f"({len(self.dropped)} dropped by the checks, "
                + (f"{self.checks_run} checked by running it, " if self.checks_run else "")
                + f"{self.model_calls} model calls{off})")

    def record(self) -> dict[str, object]:
        """What the run store keeps in the run's `extra`."""
        return {"findings": [f.to_json() for f in self.findings], "chunks": self.chunks, "files": self.files,
                "unparsable": self.unparsable, "checks_run": self.checks_run, "checks_problem": self.checks_problem,
                "tests": self.tests, "tests_unplaced": self.tests_unplaced, "interrupted": self.interrupted,
                "dropped": [{"reason": d.reason, **d.finding.to_json()} for d in self.dropped]}


class ReviewInterrupted(KeyboardInterrupt):
    """Ctrl-C during a review. `result` holds what was finished before it (the project's tests'
    findings, the list chunks already checked): minutes of evidence the user should still see."""

    def __init__(self, result: ReviewResult) -> None:
        super().__init__("interrupted by the user")
        self.result = result


def review_change(backend: Backend, repo: Path, diff_text: str, read_new: Callable[[str], str | None],
                  options: ReviewOptions | None = None, observers: Sequence[Observer] = (),
                  task: str = "review", base: str | None = None, isolation: Isolation | None = None,
                  untracked: bool = False, patch: bytes | None = None) -> ReviewResult:
    """Review `diff_text` (unified, a/ b/ prefixes) of the repository at `repo`, recorded as one run
    (`task` names it in `runs list`) through `observers`.

    base: the commit `diff_text` applies to (the old side), for running findings' calls; without it
    (or with options.run_checks off) no call runs. isolation: the sandbox for those runs (default:
    choose_isolation()). untracked: the diff is of the working tree, whose untracked files the runs
    get too. patch: the same change byte for byte (git_patch), to build the changed copy from: without
    it, `diff_text` is used, and binary files and text in other encodings cannot reach that copy.

    read_new(path) gives a changed file's new text (new_side_reader). Raises ConfigError for an
    unreadable diff or an unknown mode, SmallcoderError for a window too small; a chunk whose replies
    cannot be read counts as `unparsable` and the others go on. Ctrl-C raises ReviewInterrupted (a
    KeyboardInterrupt) with what was finished, recorded as the cancelled run's findings."""
    options = options or ReviewOptions()
    if options.mode not in MODES:
        raise ConfigError(f"unknown review mode {options.mode!r} — use one of {', '.join(MODES)}")
    diff = parse_diff(diff_text)
    listing = options.mode == "list"
    reply_tokens = options.list_reply_tokens if listing else options.max_reply_tokens
    map_budget = options.list_map_budget if listing else options.map_budget
    budget = backend.context_window - reply_tokens - SYSTEM_OVERHEAD_TOKENS - map_budget
    if budget < 400:
        raise SmallcoderError(f"the model's context window ({backend.context_window} tokens) is too small "
                              "to review a change — use --ctx 4096 or more")
    rec = ReviewRecorder(backend, repo, task, observers)
    result = ReviewResult([], files=len(diff.reviewable), run_id=rec.run_id, unreviewed=len(diff.unreviewable))
    runs = options.run_checks or options.run_tests
    prober = Prober(repo, base if runs else None, diff_text if patch is None else patch, isolation=isolation,
                    timeout=options.check_timeout, untracked=untracked, calls=options.run_checks)
    if not runs:
        prober.problem = OFF  # turned off, not impossible: the summary says nothing
    try:
        with prober:
            _review(backend, diff, read_new, options, rec, result, budget, map_budget, prober)
    except KeyboardInterrupt:
        result.interrupted, result.model_calls = True, rec.model_calls
        rec.finish("cancelled", result.summary, diff_text, {"mode": options.mode, **result.record()})
        raise ReviewInterrupted(result) from None
    except Exception as e:
        rec.finish("error", f"{type(e).__name__}: {e}", diff_text, result.record())
        raise
    rec.finish("reviewed", result.summary, diff_text, {"mode": options.mode, **result.record()})
    return result


def _review(backend: Backend, diff: ReviewDiff, read_new: Callable[[str], str | None], options: ReviewOptions,
            rec: ReviewRecorder, result: ReviewResult, budget: int, map_budget: int, prober: Prober) -> None:
    chunks = make_chunks(diff, read_new, rec.repo, budget * 3 // 4, map_budget)  # estimates run low
    result.chunks = len(chunks)
    # The tests first: the passing ones that run a changed line are examples for the model's calls.
    tests = run_tests(prober, diff, read_new, timeout=options.test_timeout) \
        if options.run_tests and not prober.problem else TestEvidence()
    result.tests, result.tests_unplaced = tests.note, tests.unplaced
    _settle(result, tests.findings, options)  # what a Ctrl-C from here on still shows
    found: list[Finding] = []
    for chunk in chunks:
        if options.mode == "list":
            kept, dropped, unparsable = _list_chunk(diff, read_new, chunk, options, rec, prober, result, tests)
        else:
            kept, dropped, unparsable = agent_chunk(
                backend, diff, read_new, chunk, rec, max_steps=options.max_steps,
                max_reply_tokens=options.max_reply_tokens, max_per_chunk=options.max_per_chunk)
        found.extend(kept)
        result.dropped.extend(dropped)
        result.unparsable += unparsable
        result.model_calls = rec.model_calls
        if options.mode == "list":  # checked already (agent mode's findings are checked after all chunks)
            _settle(result, [*tests.findings, *found], options)
    merged = merge_duplicates(found)
    if options.mode == "agent":  # the list mode checked each chunk's findings already
        proven, merged, refuted = _run_checks(prober, merged, result)
        result.dropped.extend(refuted)
        if options.verify:
            merged = [f for f in merged if _verified(diff, f, read_new, rec, result)]
        merged = proven + merged
    _settle(result, [*tests.findings, *merged], options)  # a model's finding on a broken test's lines joins it
    result.model_calls = rec.model_calls


def _settle(result: ReviewResult, findings: list[Finding], options: ReviewOptions) -> None:
    """Make `findings` (checked ones) the result's, merged, ranked and capped: kept up to date as the
    review goes, so that an interrupted one still has what it finished."""
    result.findings = rank_and_cap(merge_duplicates(findings), limit=options.max_findings,
                                   min_confidence=options.min_confidence)


def _list_chunk(diff: ReviewDiff, read_new: Callable[[str], str | None], chunk: Chunk, options: ReviewOptions,
                rec: ReviewRecorder, prober: Prober, result: ReviewResult,
                tests: TestEvidence) -> tuple[list[Finding], list[Dropped], bool]:
    """The fixed first step: one call, no tools, a JSON list back; asked again when unreadable.
    Each finding that passed the checks and names a call is run on both versions (_run_checks).
    With options.verify, each one that could not be run is then put to the model as a yes/no
    question continuing the same conversation: the change is already in its KV cache, so a check
    costs a few dozen prompt tokens instead of the whole change again (prompt time dominates on a CPU).
    Returns (findings kept, dropped ones with the reason, unparsable)."""
    messages = [Message("user", render("review_list", repo_name=rec.repo.resolve().name, parts=chunk.parts,
                                       repo_map=chunk.repo_map))]
    for attempt in range(options.list_retries + 1):
        completion = rec.call(messages, max_tokens=options.list_reply_tokens)
        reply = read_list_reply(completion.text)
        messages = [*messages, Message("assistant", completion.text)]
        if reply.parsed:
            kept, dropped = check_findings(reply.findings[: options.max_per_chunk], diff, read_new)
            def call_again(f: Finding, error: str) -> str:
                example = tests.example(f.path, range(f.start_line, f.end_line + 1))
                return _call_again(messages, f, error, rec, example)
            proven, undecided, refuted = _run_checks(prober, kept, result, call_again, options.check_retries)
            dropped += refuted
            kept = undecided
            if options.verify:
                confirmed = [(f, _confirm(messages, f, rec)) for f in kept]
                dropped += [Dropped(f, why) for f, why in confirmed if why]
                kept = [f for f, why in confirmed if not why]
            return proven + kept, dropped, False
        messages.append(Message("user", render("review_list_again")))
    return [], [], True


def _run_checks(prober: Prober, findings: list[Finding], result: ReviewResult,
                call_again: Callable[[Finding, str], str] | None = None, retries: int = 0
                ) -> tuple[list[Finding], list[Finding], list[Dropped]]:
    """Run each finding's call on both versions. A call that could not reach the code (an unknown
    name, not Python, none given) or never ran the finding's lines is asked for again, up to `retries`
    times, through `call_again(finding, error)` with what it did: the run's own feedback, as a
    developer would get it. A result counts only when the call ran the finding's lines. Returns (shown by
    evidence: the observed results become the scenario; not runnable: left to the other checks;
    dropped: the same result either way)."""
    proven: list[Finding] = []
    undecided: list[Finding] = []
    refuted: list[Dropped] = []
    for f in findings:
        verdict = prober.check(f)
        for _ in range(retries):
            if call_again is None or not verdict.retryable:
                break
            again = call_again(f, verdict.why)
            if not again.strip():
                break
            f = replace(f, check=again)
            verdict = prober.check(f)
        if verdict.result in ("unrunnable", "unreached") or verdict.old is None or verdict.new is None:
            undecided.append(f)
            continue
        result.checks_run += 1
        call = " ".join(f.check.split())
        if verdict.result == "same":
            refuted.append(Dropped(f, f"not confirmed by running it: `{call[:120]}` {verdict.new.describe()[:160]} "
                                      "before and after the change"))
        else:
            scenario = f"`{call}` {verdict.old.describe()} before this change and {verdict.new.describe()} after it"
            proven.append(replace(f, scenario=scenario + " (both run by smallcoder)",
                                  title=f"`{call[:60]}` now {verdict.new.describe()}"[:100],
                                  confidence=max(f.confidence, 0.8)))
    result.checks_problem = prober.problem if prober.problem not in ("closed", OFF) else ""
    return proven, undecided, refuted


def _call_again(conversation: list[Message], f: Finding, error: str, rec: ReviewRecorder, example: str = "") -> str:
    """Ask, after the list step's conversation, for `f`'s input as Python that runs on its own, shown
    `example` (a project test that runs the line) when there is one; the code from the reply's python
    block (or the whole reply), or ""."""
    ask = render("review_check_again", path=f.path, line=f.start_line, check=clip(f.check.strip(), 400),
                 error=clip(error, 600), example=example)
    reply = rec.call([*conversation, Message("user", ask)], max_tokens=CALL_AGAIN_TOKENS).text
    block = _PY_BLOCK.search(reply)
    code = block.group(1) if block else reply
    return "" if code.lstrip().startswith("[") or "```" in code else code.strip()


def _confirm(conversation: list[Message], f: Finding, rec: ReviewRecorder) -> str:
    """Ask yes/no about `f` after `conversation` (the list prompt and reply). Returns "" when kept
    (yes, or an answer that is neither: the checks already passed), else the reason it is dropped."""
    ask = render("review_verify_followup", path=f.path, start_line=f.start_line, end_line=f.end_line,
                 scenario=f.scenario, quote=f.quote)
    reply = rec.call([*conversation, Message("user", ask)], max_tokens=VERIFY_TOKENS)
    return _refusal(reply.text)


def _refusal(text: str) -> str:
    """The drop reason when a verification answer starts with "no", else ""."""
    word = re.match(r"\W*(\w+)", text.lower())
    if word and word.group(1) == "no":
        return "not confirmed on a second look: " + " ".join(text.split())[:160]
    return ""


def _verified(diff: ReviewDiff, f: Finding, read_new: Callable[[str], str | None], rec: ReviewRecorder,
              result: ReviewResult) -> bool:
    """The second pass: the model sees the finding, the hunk it is on (removed lines included) and
    the code around it, and answers yes or no. An answer that is neither keeps the finding (the
    checks already passed)."""
    lines = (read_new(f.path) or "").splitlines()
    changed = diff.file(f.path)
    added = changed.added_lines if changed else frozenset()
    spans = enclosing_spans(f.path, "\n".join(lines), frozenset(range(f.start_line, f.end_line + 1))) or [
        (max(1, f.start_line - VERIFY_CONTEXT), min(len(lines), f.end_line + VERIFY_CONTEXT))]
    code = "\n...\n".join(numbered(lines, a, b, added) for a, b in spans)
    hunks = [h for h in (changed.hunks if changed else ()) if h.new_start <= f.end_line and f.start_line <= h.new_end]
    prompt = render("review_verify", path=f.path, start_line=f.start_line, end_line=f.end_line, title=f.title,
                    scenario=f.scenario, code=code, change="".join(numbered_hunk(h) for h in hunks))
    why = _refusal(rec.call([Message("user", prompt)], max_tokens=VERIFY_TOKENS).text)
    if why:
        result.dropped.append(Dropped(f, why))
    return not why


def git_diff(repo: Path, *, ref: str | None = None, staged: bool = False, base: str | None = None,
             head: str | None = None, untracked: bool = False) -> str:
    """The change to review as `git diff` text: against `ref` (working tree vs REF), the staged
    changes, or base...head (a pull request: what head adds since it left base). untracked: with
    `ref`, the working tree's untracked, not ignored files are new files of the change, as `git
    status` lists them. Bytes that are not UTF-8 read as U+FFFD and a binary file is one line: to
    build the changed code from, use git_patch. Raises WorkspaceError (one line) when git cannot."""
    return _diff(repo, ref, staged, base, head, untracked, binary=False).decode("utf-8", "replace")


def git_patch(repo: Path, *, ref: str | None = None, staged: bool = False, base: str | None = None,
              head: str | None = None, untracked: bool = False) -> bytes:
    """The same change as git_diff, byte for byte and with binary files' contents (`--binary`): what
    the changed copy that the tests and calls run on is built from. git_diff's text cannot carry a
    binary file, and a file in another encoding no longer applies once decoded."""
    return _diff(repo, ref, staged, base, head, untracked, binary=True)


def _diff(repo: Path, ref: str | None, staged: bool, base: str | None, head: str | None, untracked: bool,
          *, binary: bool) -> bytes:
    # Fixed prefixes: a user's diff.noprefix or diff.mnemonicPrefix must not change what is parsed;
    # paths unquoted (a non-ASCII name stays itself, as the rest of the review names it).
    args = ["-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "--src-prefix=a/",
            "--dst-prefix=b/", "-M", "--unified=3", *(["--binary"] if binary else [])]
    if staged:
        args.append("--cached")
    elif base and head:
        args.append(f"{base}...{head}")
    elif ref:
        args.append(ref)
    if not (untracked and ref and not staged):
        return git([*args, "--"], repo, env=hook_index(staged)).stdout
    with tempfile.TemporaryDirectory(prefix="smallcoder-review-index-") as tmp:
        return git([*args, "--"], repo, env=_index_with_untracked(repo, Path(tmp) / "index")).stdout


def _index_with_untracked(repo: Path, index: Path) -> dict[str, str]:
    """A private copy of the repository's index with its untracked, not ignored files added as intent
    to add (up to MAX_UNTRACKED_BYTES): `git diff REF` then shows them as new files. The user's own
    index is never written. Returns the environment that points git at the copy."""
    own = Path(git(["rev-parse", "--git-path", "index"], repo).stdout.decode("utf-8", "surrogateescape").strip())
    if (repo / own).is_file():
        shutil.copyfile(repo / own, index)
    env = {"GIT_INDEX_FILE": str(index), "GIT_LITERAL_PATHSPECS": "1"}
    listed = git(["ls-files", "-z", "--others", "--exclude-standard"], repo, env=env).stdout
    chosen, budget = [], MAX_UNTRACKED_BYTES
    for rel in filter(None, listed.split(b"\0")):
        try:
            budget -= (repo / os.fsdecode(rel)).lstat().st_size
        except OSError:
            continue
        if budget < 0:
            break
        chosen.append(rel)
    if chosen:
        git(["add", "--intent-to-add", "--pathspec-from-file=-", "--pathspec-file-nul"], repo, env=env,
            input=b"\0".join(chosen))
    return env


def hook_index(staged: bool) -> dict[str, str] | None:
    """For `--staged`: the index git itself names in GIT_INDEX_FILE, if any. During `git commit -a` or
    `git commit PATH` the pre-commit hook runs with a temporary index holding what will be committed;
    smallcoder's git calls drop the variable otherwise (workspace/git.py), and would read the stale one."""
    index = os.environ.get("GIT_INDEX_FILE")
    if not staged or not index:
        return None
    return {"GIT_INDEX_FILE": os.path.abspath(index)}


def new_side_reader(repo: Path, *, staged: bool = False, rev: str | None = None) -> Callable[[str], str | None]:
    """path → the new side's text: the working tree, the index (`staged`), or a commit (`rev`)."""
    def read(path: str) -> str | None:
        if staged or rev:
            try:
                return git(["show", f"{rev or ''}:{path}"], repo, env=hook_index(staged)).stdout.decode(
                    "utf-8", "replace")
            except SmallcoderError:
                return None
        file = repo / path
        try:
            return file.read_text(encoding="utf-8", errors="replace") if file.is_file() else None
        except OSError:
            return None
    return read
