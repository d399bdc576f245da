"""What a kind of session adds to the generic loop: a policy object the loop calls at four points.

    Policy        a plain conversation (chat, review): a prose answer ends the turn; `finish` ends the run
    FixPolicy     the fix pipeline: tests after every edit, the run ends when they pass; a submit is
                  refused once while they fail; a code block that redefines a repo function is applied;
                  a verbatim repeat of an earlier answer starts a fresh attempt

The loop (agent/loop.py) stays the same for all of them, as mini-swe-agent's
interactive agent reuses its default agent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from smallcoder.agent.events import FreshAttempt, TestRun
from smallcoder.agent.prompts import render
from smallcoder.agent.salvage import edit_from_code_block
from smallcoder.agent.stuck import StuckDetector
from smallcoder.errors import Answered, Stuck, Submitted
from smallcoder.protocol import ParseResult
from smallcoder.tools import Tool
from smallcoder.types import Completion, ToolCall
from smallcoder.workspace.test_output import for_model

if TYPE_CHECKING:
    from smallcoder.agent.loop import Agent

TEST_TAIL_CHARS = 2_500


class Policy:
    """The base policy: nothing beyond the loop itself."""

    # How the loop stops replies while they stream (agent/stream_stop.py): `wants_code` caps prose before
    # any code or call (a conversation's answer in words is complete, so not here); `cut_repeats` stops a
    # reply that begins repeating an earlier answer and samples again.
    wants_code = False
    cut_repeats = False

    def before_reply(self, agent: Agent, completion: Completion) -> bool:
        """Called with each non-empty reply before it enters the history; True = handled, skip it."""
        return False

    def prefill(self, agent: Agent) -> str:
        """The text the next reply must start with (asked only of backends that can prefill); "" = none."""
        return ""

    def without_call(self, agent: Agent, completion: Completion, parsed: ParseResult) -> ToolCall | None:
        """A reply with no call and no call-shaped error: a call to run instead, or None.

        The base ends the turn (raises Answered with the reply's prose): in a conversation, an answer
        in words is a complete answer."""
        raise Answered(parsed.content.strip() or completion.text.strip())

    def finish(self, agent: Agent, call: ToolCall) -> str:
        """A call of a `finish` tool: end the run (raise Submitted), or return an observation to go on."""
        raise Submitted(str(call.arguments.get("summary", "")))

    def after_tool(self, agent: Agent, tool: Tool, call: ToolCall, observation: str) -> tuple[str, bool]:
        """After a tool ran successfully: (the observation to show, whether the run is now done)."""
        return observation, False


class FixPolicy(Policy):
    """The fix pipeline's rules (see the module docstring)."""

    wants_code = True
    cut_repeats = True

    def __init__(self, *, tests_failed_before: bool = False, reset: Callable[[], None] | None = None) -> None:
        self.tests_failed_before = tests_failed_before
        self.reset = reset  # puts the worktree back to its base; None = no fresh attempts
        self.submit_refused = False
        self.attempt = 1
        # The first prompt showed the Python file the failing tests concern (session/fix.py sets it): the
        # first reply of a try can then be the fixed code itself.
        self.code_shown = False

    def start_over(self) -> None:
        """A new try (session/tries.py): its own fresh attempts and its own refused submit."""
        self.attempt, self.submit_refused = 1, False

    def before_reply(self, agent: Agent, completion: Completion) -> bool:
        """Small models copy their own earlier answer word for word, and once an answer is in the
        history even a high temperature rarely breaks the pattern. So a verbatim repeat starts a
        fresh attempt: the worktree goes back to its base, the history back to the first prompt
        (still in the KV cache), and the model is sampled hotter. An answer is its text and its
        native tool calls together: servers that parse calls themselves send empty text."""
        key = answer_key(completion.text, completion.tool_calls)
        earlier = {answer_key(m.content, m.tool_calls) for m in agent.messages if m.role == "assistant"}
        if not agent.config.loop_detection or key not in earlier:
            return False
        schedule = agent.config.retry_temperatures
        if self.attempt > len(schedule) or self.reset is None:
            raise Stuck(f"stuck: the model keeps repeating an earlier answer ({self.attempt} attempts)")
        agent.temperature = schedule[self.attempt - 1]
        self.attempt += 1
        agent.emit(FreshAttempt(agent.run_id, agent.steps, self.attempt, agent.temperature,
                                "repeated an earlier answer word for word"))
        self.reset()
        agent.messages = agent.messages[:2]
        agent.stuck = StuckDetector()
        agent.format_errors = 0
        self.submit_refused = False
        return True

    def prefill(self, agent: Agent) -> str:
        """A cheap first shot when the path is clear: the failing tests and the code are in the first prompt,
        so the first reply of a try (fresh attempts included) starts inside a ```python block. In the 1.5B's
        first replies to HumanEvalFix tasks 55% of the tokens came before the code (10 tasks, ~200 tokens a
        reply: ~25 s of generation at 1 thread). The prompt is unchanged, so its KV cache serves the full
        loop that follows when the code does not pass."""
        config = agent.config
        first = len(agent.messages) == 2
        if first and config.code_first and config.code_block_edits and self.code_shown and self.tests_failed_before:
            return "```python\n"
        return ""

    def without_call(self, agent: Agent, completion: Completion, parsed: ParseResult) -> ToolCall | None:
        if not agent.config.code_block_edits:
            return None
        prefer = (agent.at_hand.path if agent.at_hand else None, agent.focus_file)
        return edit_from_code_block(completion.text, agent.ctx.root, prefer)  # the fixed function in a ```python block

    def finish(self, agent: Agent, call: ToolCall) -> str:
        summary = str(call.arguments.get("summary", ""))
        if not agent.ctx.test_command or self.submit_refused:
            raise Submitted(summary)
        test = agent.run_tests("step")
        if test.passed:
            raise Submitted(summary)
        self.submit_refused = True  # once: a second submit is taken as the model's final word
        return render("tests_still_fail", output=for_model(test.output, TEST_TAIL_CHARS))

    def after_tool(self, agent: Agent, tool: Tool, call: ToolCall, observation: str) -> tuple[str, bool]:
        if not (tool.edits and agent.ctx.test_command):
            return observation, False
        test = agent.run_tests("step")
        fixed = test.passed and self.tests_failed_before and agent.config.stop_when_tests_pass
        return observation + "\n\n" + describe_tests(test), fixed


def answer_key(text: str, calls: list[ToolCall]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What makes two answers the same: the text and each call's name and arguments (ids differ per reply)."""
    return text.strip(), tuple((c.name, json.dumps(c.arguments, sort_keys=True, default=str)) for c in calls)


def describe_tests(test: TestRun) -> str:
    verdict = "PASSED" if test.passed else "FAILED" + (" (timed out)" if test.timed_out else "")
    return f"Tests after this edit: {verdict}\n{for_model(test.output, TEST_TAIL_CHARS)}"
