"""The agentic review mode (`--mode agent`): per chunk, one read-only agent turn in which the model
reads and searches as it likes and reports each defect with the report_finding tool
(tools/review.py). Suited to models that call tools reliably; small models tend to answer `done`
at once here (benchmarks/results/review.md), so the default mode is the list (session/review.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from smallcoder.agent.loop import Agent, AgentConfig
from smallcoder.agent.policy import Policy
from smallcoder.agent.prompts import render
from smallcoder.backends.base import Backend
from smallcoder.errors import Answered
from smallcoder.protocol import ParseResult
from smallcoder.review import Dropped, Finding, FindingError, ReviewDiff, check_findings
from smallcoder.session.review_context import Chunk
from smallcoder.session.review_record import ReviewRecorder
from smallcoder.tools import Tool, ToolContext, read_only_tools
from smallcoder.tools.review import report_finding_tool
from smallcoder.types import Completion, ToolCall


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


def agent_chunk(backend: Backend, diff: ReviewDiff, read_new: Callable[[str], str | None], chunk: Chunk,
                rec: ReviewRecorder, *, max_steps: int, max_reply_tokens: int,
                max_per_chunk: int) -> tuple[list[Finding], list[Dropped], bool]:
    """One agent turn over `chunk` in `rec.repo`. Returns (checked findings, salvaged-then-dropped
    findings, unparsable: the turn ended on format errors with nothing reported)."""
    sink: list[Finding] = []
    policy = ReviewPolicy(diff, read_new, sink, max_per_chunk)
    tools = [*read_only_tools(), report_finding_tool(diff, read_new, sink)]
    config = AgentConfig(max_steps=max_steps, max_reply_tokens=max_reply_tokens,
                         approval="read-only", code_block_edits=False, stop_when_tests_pass=False)
    agent = Agent(backend, tools, ToolContext(root=rec.repo), config, rec.run_id, rec.observers, policy)
    agent.steps = agent.turn_start = rec.steps  # step numbers go on from the calls already recorded
    task = render("review_task", parts=chunk.parts, paths=chunk.paths, repo_map=chunk.repo_map)
    outcome = agent.run(render("review_system", repo_name=rec.repo.resolve().name), task)
    rec.add(outcome.usage, calls=outcome.model_calls, steps=outcome.steps - rec.steps)
    return sink, policy.salvage_dropped, outcome.status == "format_errors" and not sink


_JSON_OBJECT = re.compile(r"\{[^{}]*\}")


def findings_in_text(text: str) -> list[Finding]:
    """Findings a model wrote as flat JSON objects in prose (with a path/file and a line), each read
    leniently; objects that are not findings are skipped. A report_finding call written as text yields
    its arguments object (the innermost braces)."""
    out = []
    for m in _JSON_OBJECT.finditer(text):
        try:
            data = json.loads(m.group(0), strict=False)  # a raw line break inside a string is read too
            if isinstance(data, dict) and (data.get("path") or data.get("file")) and (data.get("line") or data.get("start_line")):
                out.append(Finding.from_json({**data, "title": data.get("title") or str(data.get("scenario", ""))[:80]}))
        except (ValueError, FindingError):
            continue
    return out
