"""When the history no longer fits, replace it once with a short summary, then go on appending.

Trimming a little every step would change the prompt's early tokens each time
and throw the KV cache away; one compaction costs one re-read of a short prompt.
The summary is built from the record, without a model call: small models
summarise poorly, and the facts (calls made, their first result lines, the
latest test output) are all at hand.
"""

from __future__ import annotations

from smallcoder.agent.events import TestRun
from smallcoder.agent.prompts import render
from smallcoder.types import Message
from smallcoder.workspace.test_output import for_model

LINE_CHARS = 160
SUMMARY_START = "The conversation so far was too long"
TEST_TAIL_CHARS = 1_500


def compact(messages: list[Message], last_test: TestRun | None, *, keep: int | None = None) -> list[Message]:
    """[system, task, summary] — plus, when `keep` is the index of a later message, that message verbatim
    after the summary: the request a chat turn is working on must survive its own compaction.

    The first two messages stay as they were (still cached); `keep` < 2 or None keeps nothing more.
    """
    kept = [messages[keep]] if keep is not None and 2 <= keep < len(messages) else []
    actions = []
    for m in messages[2:]:
        if kept and m is kept[0]:
            continue
        if m.role == "tool":
            first_line = next((ln.strip() for ln in m.content.splitlines() if ln.strip()), "(no output)")
            actions.append(f"{m.name or 'tool'}: {first_line[:LINE_CHARS]}")
        elif m.role == "user" and m.content.startswith(SUMMARY_START):  # an earlier compaction: keep its list
            actions += [ln[2:] for ln in m.content.splitlines() if ln.startswith("- ")]
        elif m.role == "user":
            actions.append(f"correction: {m.content.splitlines()[0][:LINE_CHARS]}")
    summary = render(
        "compacted", actions=actions[-30:],
        test_output=for_model(last_test.output, TEST_TAIL_CHARS) if last_test else "",
        test_passed=bool(last_test and last_test.passed),
    )
    return [*messages[:2], Message("user", summary), *kept]
