"""What the model said while it worked, kept for the pull request's "root cause" section.

An observer of the agent loop: the prose of a reply (its tool call removed) is kept when that
reply's call edited a file. Edits to test files explain the reproduction; the others, the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smallcoder.agent.events import ModelCalled, ToolExecuted
from smallcoder.protocol.think import split_thinking
from smallcoder.repomap.testpaths import is_test_path
from smallcoder.tools import default_tools

MAX_NOTE_CHARS = 800
EDITING = frozenset(t.name for t in default_tools() if t.edits)  # from the tools' own declarations
_CALLS = re.compile(
    r"<tool_call>.*?(?:</tool_call>|$)|```.*?(?:```|$)|<function=.*?(?:</function>|$)|\[TOOL_CALLS\].*$",
    re.DOTALL,
)


def prose(text: str) -> str:
    """A reply's words without its reasoning block, tool calls or code."""
    text, _ = split_thinking(text)
    text = _CALLS.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()[:MAX_NOTE_CHARS]


@dataclass
class ModelNotes:
    """Observer: `fix` holds the reasons given for edits to code, `reproduce` those for edits to tests."""

    fix: list[str] = field(default_factory=list)
    reproduce: list[str] = field(default_factory=list)
    _last_reply: str = ""

    def __call__(self, event: object) -> None:
        if isinstance(event, ModelCalled):
            self._last_reply = event.completion.text
        elif isinstance(event, ToolExecuted) and event.ok and event.call.name in EDITING:
            note = prose(self._last_reply)
            target = self.reproduce if is_test_path(str(event.call.arguments.get("path", ""))) else self.fix
            if note and note not in target:
                target.append(note)
