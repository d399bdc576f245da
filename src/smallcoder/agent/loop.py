"""The agent loop: query the model, parse its tool calls, execute them, observe.

Control flow that ends the loop (submitted, limits, too many format errors)
travels as AgentInterrupt exceptions. Everything else the model did wrong is
an observation it gets back, so it can correct itself.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable

from smallcoder.agent.compact import compact
from smallcoder.agent.events import (
    FormatProblem, FreshAttempt, ModelCalled, Observer, StepStarted, TestRun, TestsRan, ToolExecuted,
)
from smallcoder.agent.prompts import render
from smallcoder.agent.salvage import edit_from_code_block
from smallcoder.agent.stuck import EDIT_TOOLS, StuckDetector
from smallcoder.backends.base import Backend
from smallcoder.errors import AgentInterrupt, LimitsExceeded, Submitted, ToolError, TooManyFormatErrors
from smallcoder.protocol import ParseResult, format_error_message, parse_tool_calls
from smallcoder.tools.approval import check, refusal
from smallcoder.secrets import redact
from smallcoder.tools import Tool, ToolContext, tool_specs
from smallcoder.types import Message, ToolCall, Usage
from smallcoder.workspace.runner import run_command
from smallcoder.workspace.testselect import TestSelection

TEST_TAIL_CHARS = 2_500


class EmptyReplies(TooManyFormatErrors):
    """The model answered with neither text nor a tool call several times in a row. A kind of
    format error to the run's status (stop reason "format_errors"); its message says it apart."""


@dataclass
class AgentConfig:
    max_steps: int = 12
    max_reply_tokens: int = 1_024
    max_total_tokens: int = 250_000  # prompt + completion over the run, cached tokens included
    max_format_errors: int = 3  # in a row
    max_empty_replies: int = 3  # in a row; an empty reply is a server/template fault, not a format error
    test_timeout: float = 300.0
    # End the run as soon as the tests pass after an edit, when they failed before: the fix is verified.
    stop_when_tests_pass: bool = True
    # Temperatures of the fresh attempts made when the model repeats an earlier answer verbatim.
    retry_temperatures: tuple[float, ...] = (0.7, 1.0)
    # How tool calls are read from the model's text; swappable so benchmarks can compare parsers.
    parse: Callable[..., ParseResult] = parse_tool_calls
    # Which tool calls run without asking (sandbox/approval.py); `ask` answers for the "ask" policy.
    approval: str = "full-auto"
    ask: Callable[..., bool] | None = None
    # All on in real use; switched off only by benchmarks that measure what they buy.
    loop_detection: bool = True  # stuck detector + fresh attempts after verbatim repeats
    code_block_edits: bool = True  # a ```python block that redefines a repo function is applied as an edit
    compaction: bool = True  # summarise the history once when it outgrows the window


@dataclass
class AgentOutcome:
    status: str
    reason: str
    steps: int
    model_calls: int
    usage: Usage
    last_test: TestRun | None


class Agent:
    def __init__(
        self, backend: Backend, tools: list[Tool], ctx: ToolContext, config: AgentConfig,
        run_id: str, observers: list[Observer] | None = None, reset: Callable[[], None] | None = None,
    ) -> None:
        self.backend, self.ctx, self.config, self.run_id = backend, ctx, config, run_id
        self.tools = {t.name: t for t in tools}
        self.specs = tool_specs(tools)
        self.observers = observers or []
        self.messages: list[Message] = []
        self.steps = self.model_calls = self.format_errors = 0
        self.usage = Usage()
        self.tests_failed_before = False
        self.submit_refused = False
        self.last_test: TestRun | None = None
        self.select_tests: TestSelection | None = None  # narrows the runs after edits (workspace/testselect.py)
        self.stuck = StuckDetector()
        self.focus_file: str | None = None
        self.temperature: float | None = None  # None: the backend's default
        self.attempt = 1
        self.empty_replies = 0  # in a row
        self.reset = reset  # puts the worktree back to its base; None = no fresh attempts

    def emit(self, event: object) -> None:
        for observer in self.observers:
            observer(event)  # type: ignore[arg-type]

    def run(self, system_prompt: str, task_prompt: str, *, tests_failed_before: bool = False,
            focus_file: str | None = None) -> AgentOutcome:
        self.focus_file = focus_file  # the file the task most likely concerns, for examples in corrections
        self.messages = [Message("system", system_prompt), Message("user", task_prompt)]
        self.tests_failed_before = tests_failed_before
        try:
            while True:
                self.step()
        except AgentInterrupt as stop:
            status, reason = stop.reason, stop.message
        return AgentOutcome(status, reason, self.steps, self.model_calls, self.usage, self.last_test)

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.config.max_steps:
            raise LimitsExceeded(f"step limit of {self.config.max_steps} reached")
        total = self.usage.prompt_tokens + self.usage.completion_tokens
        if total > self.config.max_total_tokens:
            raise LimitsExceeded(f"token limit of {self.config.max_total_tokens} reached ({total} used)")
        prompt_tokens = self.backend.count_tokens(self.messages, self.specs)
        too_long = prompt_tokens + self.config.max_reply_tokens > self.backend.context_window
        if too_long and self.config.compaction and len(self.messages) > 3:
            self.messages = compact(self.messages, self.last_test)  # once, then append-only again
            prompt_tokens = self.backend.count_tokens(self.messages, self.specs)
        if prompt_tokens + self.config.max_reply_tokens > self.backend.context_window:
            raise LimitsExceeded(
                f"context window full: {prompt_tokens} prompt tokens + {self.config.max_reply_tokens} for the reply "
                f"exceed {self.backend.context_window}"
            )
        self.emit(StepStarted(self.run_id, self.steps, prompt_tokens))
        completion = self.backend.complete(self.messages, self.specs, max_tokens=self.config.max_reply_tokens,
                                           temperature=self._temperature())
        self.model_calls += 1
        self.usage = self.usage + completion.usage
        self.emit(ModelCalled(self.run_id, self.steps, completion))
        if not completion.text.strip() and not completion.tool_calls:
            self._empty_reply(completion.finish_reason)
            return
        self.empty_replies = 0
        if self._is_repeat(completion.text, completion.tool_calls):
            return
        self.messages.append(Message("assistant", completion.text, tool_calls=completion.tool_calls))

        parsed = self.config.parse(completion.text, self.specs, self.backend.dialect, completion.tool_calls or None)
        if not parsed.calls and not parsed.errors and self.config.code_block_edits:
            salvaged = edit_from_code_block(completion.text, self.ctx.root)
            if salvaged:  # the model wrote the fixed function instead of calling a tool: apply it
                note = f"(The code in your reply was applied with rewrite_function to {salvaged.arguments['path']}.)\n"
                self.messages.append(Message("tool", note + self.execute(salvaged), name=salvaged.name))
                return
        if not parsed.calls:
            self._format_problem(self._correction(parsed))
            return
        self.format_errors = 0
        for call in parsed.calls:
            self.messages.append(Message("tool", self.execute(call), tool_call_id=call.id or None, name=call.name))
        if parsed.errors:
            self.messages.append(Message("user", format_error_message(parsed, self.specs, self.backend.dialect)))

    def _empty_reply(self, finish_reason: str) -> None:
        """An empty reply (no text, no native call) says nothing about the worktree, so nothing is
        reset and nothing enters the history; the same request is sent again, sampled hotter, and
        after `max_empty_replies` in a row the run stops with its own reason. The usual causes
        are on the server side: a chat template that drops the reply, or a token limit used up
        by hidden reasoning."""
        self.empty_replies += 1
        n = self.empty_replies
        self.emit(FormatProblem(self.run_id, self.steps, f"the model returned an empty reply ({n} in a row)"))
        if n >= self.config.max_empty_replies:
            raise EmptyReplies(
                f"the model returned an empty reply {n} times in a row (finish reason {finish_reason!r}): "
                "check the server's chat template / max tokens"
            )

    def _temperature(self) -> float | None:
        """The run's temperature, hotter while the replies come back empty (the same request at the
        same temperature would most likely give the same empty reply)."""
        schedule = self.config.retry_temperatures
        if not self.empty_replies or not schedule:
            return self.temperature
        return max(self.temperature or 0.0, schedule[min(self.empty_replies, len(schedule)) - 1])

    def _is_repeat(self, text: str, calls: list[ToolCall]) -> bool:
        """Small models copy their own earlier answer word for word, and once an answer is in the
        history even a high temperature rarely breaks the pattern. So a verbatim repeat starts a
        fresh attempt: the worktree goes back to its base, the history back to the first prompt
        (still in the KV cache), and the model is sampled hotter. An answer is its text and its
        native tool calls together: servers that parse calls themselves send empty text."""
        earlier = {_answer_key(m.content, m.tool_calls) for m in self.messages if m.role == "assistant"}
        if not self.config.loop_detection or _answer_key(text, calls) not in earlier:
            return False
        schedule = self.config.retry_temperatures
        if self.attempt > len(schedule) or self.reset is None:
            raise LimitsExceeded(f"stuck: the model keeps repeating an earlier answer ({self.attempt} attempts)")
        self.temperature = schedule[self.attempt - 1]
        self.attempt += 1
        self.emit(FreshAttempt(self.run_id, self.steps, self.attempt, self.temperature,
                               "repeated an earlier answer word for word"))
        self.reset()
        self.messages = self.messages[:2]
        self.stuck = StuckDetector()
        self.format_errors = 0
        self.submit_refused = False
        return True

    def _correction(self, parsed: ParseResult) -> str:
        if parsed.errors or self.backend.dialect not in (None, "hermes"):
            return format_error_message(parsed, self.specs, self.backend.dialect)
        # No call at all: offer the two shapes small models manage, with the file the task is about.
        return render("no_tool_call", path=self.focus_file or "path/to/file.py",
                      code_blocks=self.config.code_block_edits)

    def _format_problem(self, message: str) -> None:
        self.format_errors += 1
        self.emit(FormatProblem(self.run_id, self.steps, message))
        self.messages.append(Message("user", message))
        if self.format_errors >= self.config.max_format_errors:
            raise TooManyFormatErrors(f"{self.format_errors} replies in a row without a usable tool call")

    def execute(self, call: ToolCall) -> str:
        started = time.perf_counter()
        ok, fixed = True, False
        try:
            if call.name == "submit":
                observation = self._refuse_submit_if_tests_fail(call)
            elif call.name not in self.tools:
                raise ToolError(f"unknown tool {call.name!r}; available: {', '.join(self.tools)}")
            elif not check(self.config.approval, call.name, call.arguments, self.config.ask):
                raise ToolError(refusal(self.config.approval, call.name))
            else:
                observation = self.tools[call.name].invoke(self.ctx, call.arguments)
                if call.name in EDIT_TOOLS and self.ctx.test_command:
                    test = self.run_tests("step")
                    observation += "\n\n" + _describe_tests(test)
                    fixed = test.passed and self.tests_failed_before and self.config.stop_when_tests_pass
        except ToolError as e:
            ok, observation = False, f"Error: {e}"
        observation = redact(observation)  # credentials never reach the prompt
        stop: LimitsExceeded | None = None
        try:
            warning = self.stuck.observe(call, observation, ok) if self.config.loop_detection else None
            if warning:
                observation += "\n\n" + warning
        except LimitsExceeded as e:
            stop = e
        self.emit(ToolExecuted(self.run_id, self.steps, call, observation, ok, time.perf_counter() - started))
        if stop:
            raise stop
        if fixed:
            raise Submitted("the tests pass after the edit")
        return observation

    def run_tests(self, phase: str) -> TestRun:
        assert self.ctx.test_command
        command = self.select_tests.command_for(phase) if self.select_tests else self.ctx.test_command
        res = run_command(command, self.ctx.root, timeout=self.config.test_timeout,
                          max_output_chars=20_000, env=self.ctx.env, wrap=self.ctx.wrap)
        test = TestRun(res.command, res.ok, res.exit_code, redact(res.output), res.duration_s, res.timed_out)
        self.last_test = test
        if self.select_tests and phase == "before":
            self.select_tests.saw_full_run(res.output, res.duration_s)
        self.emit(TestsRan(self.run_id, phase, self.steps, test))
        return test

    def _refuse_submit_if_tests_fail(self, call: ToolCall) -> str:
        summary = str(call.arguments.get("summary", ""))
        if not self.ctx.test_command or self.submit_refused:
            raise Submitted(summary)
        test = self.run_tests("step")
        if test.passed:
            raise Submitted(summary)
        self.submit_refused = True  # once: a second submit is taken as the model's final word
        return render("tests_still_fail", output=test.output[-TEST_TAIL_CHARS:])


def _answer_key(text: str, calls: list[ToolCall]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What makes two answers the same: the text and each call's name and arguments (ids differ per reply)."""
    return text.strip(), tuple((c.name, json.dumps(c.arguments, sort_keys=True, default=str)) for c in calls)


def _describe_tests(test: TestRun) -> str:
    verdict = "PASSED" if test.passed else "FAILED" + (" (timed out)" if test.timed_out else "")
    return f"Tests after this edit: {verdict}\n{test.output[-TEST_TAIL_CHARS:]}"
