"""Class: a correction's example copied literally.

On a real repository Qwen2.5-Coder-1.5B explained its fix in prose, was told to call a tool with an
example `old="exact old lines"`, and called replace_in_file with exactly that; then it asked "To call a
tool, please provide the appropriate command" until the stuck detector stopped it. An example in a
correction is therefore built from the repository: a copied one quotes a real line of the file.
"""

from dataclasses import dataclass

from smallcoder.agent.events import ToolExecuted
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.types import Completion

from .conftest import UNITTEST

PROSE = "The mean divides by one less than the count. It should be `sum(values) / len(values)`."
COPY = "<copy the correction's example>"
FIX = ('<tool_call>\n{"name": "replace_in_file", "arguments": {"path": "stats.py", '
       '"old": "(len(values) - 1)", "new": "len(values)"}}\n</tool_call>')
PLACEHOLDERS = ("exact old lines", "fixed lines", "path/to/file", "return a - b", "src/app.py")


@dataclass
class Copier(ScriptedBackend):
    """A scripted model that answers COPY with the tool call block of the last message it was sent."""

    def complete(self, messages, tools, **kwargs) -> Completion:  # type: ignore[no-untyped-def]
        index = len(self.requests)
        if index < len(self.outputs) and self.outputs[index] == COPY:
            last = messages[-1].content
            start = last.index("<tool_call>")
            self.outputs[index] = last[start : last.index("</tool_call>", start) + len("</tool_call>")]
        return super().complete(messages, tools, **kwargs)


def test_a_copied_example_is_a_real_line_and_the_run_recovers(mean_repo):
    events: list[object] = []
    backend = Copier(outputs=[PROSE, COPY, FIX])
    options = FixOptions(test_command=f"{UNITTEST} test_stats")
    result = run_fix("mean([2,4,6]) should be 4", mean_repo, backend, options, [events.append])

    assert result.status == "resolved"
    copied = [e for e in events if isinstance(e, ToolExecuted)][0]
    assert copied.call.name == "replace_in_file"
    assert copied.call.arguments["old"] in (mean_repo / "stats.py").read_text().splitlines()
    assert not copied.ok and "identical" in copied.observation  # a real line: the error says what to change
    sent = "\n".join(m.content for request in backend.requests for m in request)
    assert not any(p in sent for p in PLACEHOLDERS)
