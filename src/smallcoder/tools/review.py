"""report_finding: the review model's one way to say "this line breaks". Declared kind="read": it
changes nothing in the repository, only adds a finding to the review's list.

A report the checks would drop (a line the change did not touch, a quote that is not in the file,
no concrete failure) is refused at once with the reason, so the model can correct it in the same
turn instead of the finding vanishing silently later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import Field

from smallcoder.errors import ToolError
from smallcoder.review import Finding, FindingError, ReviewDiff, check_findings
from smallcoder.tools.base import Tool, ToolContext


def report_finding_tool(diff: ReviewDiff, read_new: Callable[[str], str | None], sink: list[Finding]) -> Tool:
    """A `report_finding` tool bound to this review's diff (for the checks) and `sink` (kept findings)."""

    def report_finding(
        ctx: ToolContext,
        path: Annotated[str, Field(description="changed file")],
        line: Annotated[int, Field(description="first line of the problem (new line number, a + line)")],
        scenario: Annotated[str, Field(description="the concrete failure: which input or call goes wrong and how")],
        quote: Annotated[str, Field(description="the faulty code, copied exactly from that line")],
        end_line: Annotated[int | None, Field(description="last line, if more than one")] = None,
        severity: Annotated[str, Field(description="critical, high, medium or low")] = "medium",
        category: Annotated[str, Field(description="bug, security, performance, test_gap or style")] = "bug",
        title: Annotated[str, Field(description="a short title")] = "",
        suggestion: Annotated[str, Field(description="replacement code for those lines, if you know it")] = "",
        confidence: Annotated[float, Field(description="0.0 to 1.0: how sure you are")] = 0.5,
    ) -> str:
        """Report one real problem in the changed lines, with the concrete failure it causes."""
        try:
            f = Finding.from_json({"path": path, "line": line, "end_line": end_line, "severity": severity,
                                   "category": category, "title": title or scenario[:80], "scenario": scenario,
                                   "quote": quote, "suggestion": suggestion, "confidence": confidence})
        except FindingError as e:
            raise ToolError(f"finding not recorded: {e}") from None
        kept, dropped = check_findings([f], diff, read_new)
        if dropped:
            raise ToolError(f"finding not recorded: {dropped[0].reason}. Report only problems on + lines, "
                            "quote the code exactly, and say what input fails and how")
        sink.append(kept[0])
        return f"recorded finding {len(sink)} at {kept[0].path}:{kept[0].start_line}. Report another real problem, or answer done."

    return Tool.from_function(report_finding, kind="read")
