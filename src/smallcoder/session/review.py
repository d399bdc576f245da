"""`smallcoder review`: a change (a git diff) in, checked findings out.

    diff_text = git_diff(repo, ref="HEAD~1")
    result = review_change(session.backend, repo, diff_text, new_side_reader(repo), ReviewOptions())
    print(render(result.findings, "text", summary=result.summary))

Per chunk of the diff (session/review_context.py), one read-only agent turn: the model reads and
searches as it likes and reports each defect with the report_finding tool (tools/review.py). The
findings then pass the checks (review/checks.py), near-duplicates merge, an optional second pass
asks the model to confirm each one against the code, and the rest are ranked and capped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.agent.events import Observer
from smallcoder.agent.loop import Agent, AgentConfig
from smallcoder.agent.policy import Policy
from smallcoder.agent.prompts import render
from smallcoder.backends.base import Backend
from smallcoder.errors import Answered, SmallcoderError
from smallcoder.protocol import ParseResult
from smallcoder.review import (
    Dropped,
    Finding,
    FindingError,
    ReviewDiff,
    check_findings,
    merge_duplicates,
    parse_diff,
    rank_and_cap,
)
from smallcoder.session.review_context import Chunk, enclosing_spans, make_chunks, numbered
from smallcoder.store.ids import new_run_id
from smallcoder.tools import Tool, ToolContext, read_only_tools
from smallcoder.tools.review import report_finding_tool
from smallcoder.types import Completion, Message, ToolCall
from smallcoder.workspace.git import git

SYSTEM_OVERHEAD_TOKENS = 1_500  # system prompt + tool schemas, as DESIGN.md budgets them
VERIFY_CONTEXT = 8  # lines shown around a finding outside any function


@dataclass(frozen=True)
class ReviewOptions:
    """verify: ask the model to confirm each finding (one short call per finding). max_findings: the
    cap on what is shown. min_confidence: findings below it are dropped. max_steps: model calls per
    chunk. max_per_chunk: reports after which a chunk's turn ends."""

    verify: bool = True
    max_findings: int = 10
    min_confidence: float = 0.0
    max_steps: int = 6
    max_per_chunk: int = 5
    max_reply_tokens: int = 768
    map_budget: int = 512


@dataclass
class ReviewResult:
    findings: list[Finding]
    dropped: list[Dropped] = field(default_factory=list)
    chunks: int = 0
    files: int = 0
    model_calls: int = 0
    unparsable: int = 0  # chunks whose turn ended on format errors: nothing could be read from the model

    @property
    def summary(self) -> str:
        n = len(self.findings)
        what = f"{n} finding{'s' * (n != 1)}" if n else "no findings"
        return (f"smallcoder review: {what} in {self.files} changed file{'s' * (self.files != 1)} "
                f"({len(self.dropped)} dropped by the checks, {self.model_calls} model calls)")


class ReviewPolicy(Policy):
    """A review turn: prose ends it (the base rule), after salvaging findings a small model wrote as
    JSON in its answer instead of calling report_finding; enough reports end it too."""

    def __init__(self, diff: ReviewDiff, read_new: Callable[[str], str | None], sink: list[Finding],
                 max_findings: int) -> None:
        self.diff, self.read_new, self.sink, self.max_findings = diff, read_new, sink, max_findings
        self.salvage_dropped: list[Dropped] = []

    def without_call(self, agent: Agent, completion: Completion, parsed: ParseResult) -> ToolCall | None:
        found = findings_in_text(completion.text)
        kept, dropped = check_findings(found, self.diff, self.read_new)
        self.sink.extend(kept)
        self.salvage_dropped.extend(dropped)
        raise Answered(parsed.content.strip() or completion.text.strip())

    def after_tool(self, agent: Agent, tool: Tool, call: ToolCall, observation: str) -> tuple[str, bool]:
        return observation, tool.name == "report_finding" and len(self.sink) >= self.max_findings


def review_change(backend: Backend, repo: Path, diff_text: str, read_new: Callable[[str], str | None],
                  options: ReviewOptions | None = None, observers: Sequence[Observer] = ()) -> ReviewResult:
    """Review `diff_text` (unified, a/ b/ prefixes) of the repository at `repo`.

    read_new(path) gives a changed file's new text (new_side_reader). Raises ConfigError for an
    unreadable diff; model failures in one chunk count as `unparsable` and the others go on."""
    options = options or ReviewOptions()
    diff = parse_diff(diff_text)
    budget = backend.context_window - options.max_reply_tokens - SYSTEM_OVERHEAD_TOKENS - options.map_budget
    if budget < 400:
        raise SmallcoderError(f"the model's context window ({backend.context_window} tokens) is too small "
                              "to review a change — use --ctx 4096 or more")
    chunks = make_chunks(diff, read_new, repo, budget * 3 // 4, options.map_budget)  # estimates run low
    result = ReviewResult([], chunks=len(chunks), files=len(diff.reviewable))
    found: list[Finding] = []
    for chunk in chunks:
        found.extend(_review_chunk(backend, repo, diff, read_new, chunk, options, result, observers))
    merged = merge_duplicates(found)
    if options.verify:
        merged = [f for f in merged if _verified(backend, f, read_new, result)]
    result.findings = rank_and_cap(merged, limit=options.max_findings, min_confidence=options.min_confidence)
    return result


def _review_chunk(backend: Backend, repo: Path, diff: ReviewDiff, read_new: Callable[[str], str | None],
                  chunk: Chunk, options: ReviewOptions, result: ReviewResult,
                  observers: Sequence[Observer]) -> list[Finding]:
    sink: list[Finding] = []
    policy = ReviewPolicy(diff, read_new, sink, options.max_per_chunk)
    tools = [*read_only_tools(), report_finding_tool(diff, read_new, sink)]
    config = AgentConfig(max_steps=options.max_steps, max_reply_tokens=options.max_reply_tokens,
                         approval="read-only", code_block_edits=False, stop_when_tests_pass=False)
    agent = Agent(backend, tools, ToolContext(root=repo), config, new_run_id(), list(observers), policy)
    task = render("review_task", parts=chunk.parts, paths=chunk.paths, repo_map=chunk.repo_map)
    outcome = agent.run(render("review_system", repo_name=repo.resolve().name), task)
    result.model_calls += outcome.model_calls
    result.dropped.extend(policy.salvage_dropped)
    if outcome.status == "format_errors" and not sink:
        result.unparsable += 1
    return sink


def _verified(backend: Backend, f: Finding, read_new: Callable[[str], str | None], result: ReviewResult) -> bool:
    """The second pass: the model sees the finding and the code and answers yes or no. An answer
    that is neither keeps the finding at half its confidence (the checks already passed)."""
    lines = (read_new(f.path) or "").splitlines()
    added = frozenset(range(f.start_line, f.end_line + 1))
    spans = enclosing_spans(f.path, "\n".join(lines), added) or [
        (max(1, f.start_line - VERIFY_CONTEXT), min(len(lines), f.end_line + VERIFY_CONTEXT))]
    code = "\n...\n".join(numbered(lines, a, b, added) for a, b in spans)
    prompt = render("review_verify", path=f.path, start_line=f.start_line, end_line=f.end_line, title=f.title,
                    scenario=f.scenario, code=code)
    reply = backend.complete([Message("user", prompt)], [], max_tokens=64, temperature=0.0)
    result.model_calls += 1
    word = re.match(r"\W*(\w+)", reply.text.lower())
    if word and word.group(1) == "no":
        result.dropped.append(Dropped(f, "not confirmed on a second look: " + " ".join(reply.text.split())[:160]))
        return False
    return True


_JSON_OBJECT = re.compile(r"\{[^{}]*\}")


def findings_in_text(text: str) -> list[Finding]:
    """Findings a model wrote as flat JSON objects in prose (with a path/file and a line), each read
    leniently; objects that are not findings are skipped. A report_finding call written as text yields
    its arguments object (the innermost braces)."""
    out = []
    for m in _JSON_OBJECT.finditer(text):
        try:
            data = json.loads(m.group(0))
            if isinstance(data, dict) and (data.get("path") or data.get("file")) and (data.get("line") or data.get("start_line")):
                out.append(Finding.from_json({**data, "title": data.get("title") or str(data.get("scenario", ""))[:80]}))
        except (ValueError, FindingError):
            continue
    return out


def git_diff(repo: Path, *, ref: str | None = None, staged: bool = False, base: str | None = None,
             head: str | None = None) -> str:
    """The change to review as `git diff` text: against `ref` (working tree vs REF), the staged
    changes, or base...head (a pull request: what head adds since it left base). Raises
    WorkspaceError (one line) when git cannot."""
    args = ["diff", "--no-color", "--no-ext-diff", "-M", "--unified=3"]
    if staged:
        args.append("--cached")
    elif base and head:
        args.append(f"{base}...{head}")
    elif ref:
        args.append(ref)
    return git([*args, "--"], repo).stdout.decode("utf-8", "replace")


def new_side_reader(repo: Path, *, staged: bool = False, rev: str | None = None) -> Callable[[str], str | None]:
    """path → the new side's text: the working tree, the index (`staged`), or a commit (`rev`)."""
    def read(path: str) -> str | None:
        if staged or rev:
            try:
                return git(["show", f"{rev or ''}:{path}"], repo).stdout.decode("utf-8", "replace")
            except SmallcoderError:
                return None
        file = repo / path
        try:
            return file.read_text(encoding="utf-8", errors="replace") if file.is_file() else None
        except OSError:
            return None
    return read
