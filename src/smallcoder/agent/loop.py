"""The agent loop: query the model, parse its tool calls, execute them, observe.

Control flow that ends the loop (submitted, answered, limits, too many format
errors) travels as AgentInterrupt exceptions. Everything else the model did
wrong is an observation it gets back, so it can correct itself. What a kind of
session adds (the fix pipeline's tests after edits, a chat's prose answers) is
its Policy (agent/policy.py); the loop knows tools only by their declared kind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from smallcoder.agent.compact import compact
from smallcoder.agent.correction import EDIT_TOOL, FileAtHand, correction_examples, file_at_hand, first_example
from smallcoder.agent.events import (
    FormatProblem,
    ModelCalled,
    Observer,
    StepStarted,
    StepTimed,
    TestRun,
    TestsRan,
    ToolExecuted,
)
from smallcoder.agent.policy import Policy
from smallcoder.agent.prompts import render
from smallcoder.agent.stream_stop import StreamStop
from smallcoder.agent.stuck import StuckDetector
from smallcoder.agent.timing import StepClock
from smallcoder.backends.base import Backend
from smallcoder.backends.context_fit import overflows
from smallcoder.errors import AgentInterrupt, EmptyReplies, LimitsExceeded, Submitted, ToolError, TooManyFormatErrors
from smallcoder.protocol import ParseResult, format_error_message, parse_tool_calls, render_tool_calls
from smallcoder.secrets import redact
from smallcoder.tools import Tool, ToolContext, tool_specs
from smallcoder.tools.approval import check, refusal
from smallcoder.types import Completion, Message, ToolCall, Usage
from smallcoder.workspace.runner import run_command
from smallcoder.workspace.testselect import TestSelection


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
    # Which tool calls run without asking (tools/approval.py); `ask` answers for the "ask" policy.
    approval: str = "full-auto"
    ask: Callable[..., bool] | None = None
    # All on in real use; switched off only by benchmarks that measure what they buy.
    loop_detection: bool = True  # stuck detector + fresh attempts after verbatim repeats
    code_block_edits: bool = True  # a ```python block that redefines a repo function is applied as an edit
    compaction: bool = True  # summarise the history once when it outgrows the window
    # Replies ended while they stream (agent/stream_stop.py), on backends that stream.
    stop_after_call: bool = True  # right after the first complete tool call
    max_prose_tokens: int = 256  # of text before any code or call, where the policy wants code (0 = no cap)
    max_repeat_cuts: int = 1  # in a row; after that a repeat runs to its end (and the policy handles it)
    # When the first prompt shows the failing tests and the Python file they concern, the first reply of a
    # try starts inside a ```python block (on backends that can prefill): the fixed code at once, no preamble.
    code_first: bool = True
    # Wall-clock seconds the run may take (None = no limit): checked before each step and while a reply
    # streams; a prompt being evaluated is not interrupted, so a run can overrun by one prompt's evaluation.
    time_limit_s: float | None = None


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
        run_id: str, observers: list[Observer] | None = None, policy: Policy | None = None,
    ) -> None:
        self.backend, self.ctx, self.config, self.run_id = backend, ctx, config, run_id
        self.tools = {t.name: t for t in tools}
        self.specs = tool_specs(tools)
        self.observers = observers or []
        self.messages: list[Message] = []
        self.steps = self.model_calls = self.format_errors = 0
        self.usage = Usage()
        self.policy = policy or Policy()
        self.last_test: TestRun | None = None
        self.select_tests: TestSelection | None = None  # narrows the runs after edits (workspace/testselect.py)
        self.stuck = StuckDetector()
        self.focus_file: str | None = None
        self.at_hand: FileAtHand | None = None  # the file last read or edited, for examples in corrections
        self.temperature: float | None = None  # None: the backend's default
        self.empty_replies = 0  # in a row
        self.repeat_cuts = 0  # in a row: replies stopped early because they began repeating an earlier answer
        self.turn_start = 0  # steps taken before this turn; the step limit counts per turn
        self.request_at = 1  # index of the message holding the current request (the task, or a chat turn's)
        self.compactions = 0  # how often the history was summarised (a chat cannot undo turns across one)
        self.clock: StepClock | None = None  # the step in progress; None between steps (tests before/after)
        # perf_counter() time the run must end by; the fix pipeline sets it from the run's own start
        self.deadline = time.perf_counter() + config.time_limit_s if config.time_limit_s else None

    def emit(self, event: object) -> None:
        for observer in self.observers:
            observer(event)  # type: ignore[arg-type]

    def run(self, system_prompt: str, task_prompt: str, *, focus_file: str | None = None) -> AgentOutcome:
        """A new conversation: the system prompt and the task, then steps until an interrupt ends it."""
        self.focus_file = focus_file  # the file the task most likely concerns, for examples in corrections
        self.messages = [Message("system", system_prompt), Message("user", task_prompt)]
        self.request_at = 1
        return self._loop()

    def continue_with(self, text: str) -> AgentOutcome:
        """The same conversation, one user message longer: the prompt prefix is unchanged, so the
        KV cache of the earlier turns is reused. Limits count per turn."""
        self.messages.append(Message("user", text))
        self.request_at = len(self.messages) - 1  # kept whole if this turn has to compact the history
        self.turn_start, self.format_errors = self.steps, 0
        return self._loop()

    def start_over(self, temperature: float | None) -> None:
        """Ready for a new try from the first prompt (session/tries.py): per-try counts back to zero, the
        run's totals (steps, calls, tokens, time) kept."""
        self.turn_start, self.temperature = self.steps, temperature
        self.format_errors = self.empty_replies = self.repeat_cuts = 0
        self.stuck, self.at_hand = StuckDetector(), None

    def out_of_budget(self) -> bool:
        """Whether a run-wide limit (time, tokens) is spent."""
        if self.past_deadline():
            return True
        return self.usage.prompt_tokens + self.usage.completion_tokens > self.config.max_total_tokens

    def _loop(self) -> AgentOutcome:
        try:
            while True:
                self.step()
        except AgentInterrupt as stop:
            status, reason = stop.reason, stop.message
        return AgentOutcome(status, reason, self.steps, self.model_calls, self.usage, self.last_test)

    def step(self) -> None:
        """One query → parse → execute round. Every step that reaches the model reports where its time went
        (StepTimed), whether it ends normally or by an interrupt."""
        self.steps += 1
        if self.steps - self.turn_start > self.config.max_steps:
            raise LimitsExceeded(f"step limit of {self.config.max_steps} reached")
        if self.past_deadline():
            raise LimitsExceeded(self._time_limit_message())
        self.clock = StepClock()
        try:
            self._step()
        finally:
            clock, self.clock = self.clock, None
            if clock.model_calls:
                self.emit(StepTimed(self.run_id, self.steps, clock.finish()))

    def _step(self) -> None:
        total = self.usage.prompt_tokens + self.usage.completion_tokens
        if total > self.config.max_total_tokens:
            raise LimitsExceeded(f"token limit of {self.config.max_total_tokens} reached ({total} used)")
        prompt_tokens = self.backend.count_tokens(self.messages, self.specs)
        reply = self.config.max_reply_tokens
        if overflows(self.backend, prompt_tokens, reply) and self.config.compaction and len(self.messages) > 3:
            self.messages = compact(self.messages, self.last_test, keep=self.request_at)  # then append-only again
            self.request_at = len(self.messages) - 1 if self.request_at >= 2 else 1
            self.compactions += 1
            prompt_tokens = self.backend.count_tokens(self.messages, self.specs)
        if overflows(self.backend, prompt_tokens, reply):
            raise LimitsExceeded(
                f"context window full: {prompt_tokens} prompt tokens + {self.config.max_reply_tokens} for the reply "
                f"exceed {self.backend.context_window}"
            )
        self.emit(StepStarted(self.run_id, self.steps, prompt_tokens))
        caps, extra = self.backend.capabilities, dict[str, Any]()  # only what the backend declares it takes
        if caps.streaming:
            extra["stop"] = self._stream_stop()
        if caps.prefill and (prefill := self.policy.prefill(self)):
            extra["prefill"] = prefill
        completion = self.backend.complete(self.messages, self.specs, max_tokens=self.config.max_reply_tokens,
                                           temperature=self._temperature(), **extra)
        self.model_calls += 1
        if self.clock:
            self.clock.model(completion)
        self.usage = self.usage + completion.usage
        self.emit(ModelCalled(self.run_id, self.steps, completion))  # the record keeps the reply as it came
        completion = without_echo(completion, extra.get("prefill", ""))
        # A reply cut at the deadline is incomplete: nothing of it is used. Checked first: a blank reply cut
        # there is the time limit, not a server's empty reply.
        if completion.cut == "time":
            raise LimitsExceeded(self._time_limit_message())
        if not completion.text.strip() and not completion.tool_calls:
            self._empty_reply(completion.finish_reason)
            return
        if completion.cut in ("repeat", "loop"):
            self._repeat_cut(completion.cut)
            return
        self.empty_replies = self.repeat_cuts = 0
        if self.policy.before_reply(self, completion):
            return
        self.messages.append(Message("assistant", completion.text, tool_calls=completion.tool_calls))

        parsed = self.config.parse(completion.text, self.specs, self.backend.dialect, completion.tool_calls or None)
        if not parsed.calls and not parsed.errors:
            salvaged = self.policy.without_call(self, completion, parsed)
            if salvaged:  # e.g. the fixed function written in a code block instead of a call: apply it
                note = f"(The code in your reply was applied with {salvaged.name} to {salvaged.arguments['path']}.)\n"
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

    def _repeat_cut(self, cut: str) -> None:
        """The reply was stopped while it streamed because it began repeating an earlier answer word for word,
        or one line over and over (`cut` "repeat" / "loop", agent/stream_stop.py). Like an empty reply it enters
        no history and resets nothing: the same request is sent again, sampled hotter, its prompt still in the
        KV cache. After `max_repeat_cuts` in a row the next reply is left to run to its end, and the policy
        deals with a full repeat."""
        self.repeat_cuts += 1
        what = ("began repeating an earlier answer word for word" if cut == "repeat"
                else "went round in place, one line over and over")
        self.emit(FormatProblem(self.run_id, self.steps, f"the reply {what}; stopped and sampled again, hotter "
                                f"({self.repeat_cuts} in a row)"))

    def _stream_stop(self) -> StreamStop:
        earlier = [m.content for m in self.messages if m.role == "assistant" and not m.tool_calls]
        cut_repeats = self.policy.cut_repeats and self.config.loop_detection
        caps = self.backend.capabilities
        return StreamStop.build(
            self.backend.dialect, stop_after_call=self.config.stop_after_call,
            # a server that parses calls itself streams them apart from the text: prose there may precede one
            prose_tokens=self.config.max_prose_tokens if self.policy.wants_code and not caps.native_tools else 0,
            earlier=earlier if cut_repeats and self.repeat_cuts < self.config.max_repeat_cuts else [],
            deadline=self.deadline,
            cut_loops=cut_repeats and self.repeat_cuts < self.config.max_repeat_cuts,
        )

    def past_deadline(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def _time_limit_message(self) -> str:
        return f"time limit of {self.config.time_limit_s:g} s reached"

    def _temperature(self) -> float | None:
        """The run's temperature, hotter while the replies come back empty or cut as repeats (the same request
        at the same temperature would most likely give the same reply)."""
        schedule = self.config.retry_temperatures
        hot = self.empty_replies + self.repeat_cuts
        if not hot or not schedule:
            return self.temperature
        return max(self.temperature or 0.0, schedule[min(hot, len(schedule)) - 1])

    def _correction(self, parsed: ParseResult) -> str:
        """What to tell a model whose reply held no usable call; every example quotes the real repository
        (agent/correction.py), since small models copy examples literally."""
        examples = correction_examples(self.ctx.root, self.tools, self.at_hand, self.focus_file)
        if parsed.errors or self.backend.dialect not in (None, "hermes"):
            return format_error_message(parsed, self.specs, self.backend.dialect, examples)
        # No call at all: offer the two shapes small models manage, with the file at hand.
        example = first_example(examples)
        return render("no_tool_call", example=render_tool_calls([example], "hermes") if example else "",
                      edit=bool(example and example.name == EDIT_TOOL),
                      path=example.arguments["path"] if example and example.name == EDIT_TOOL else self.focus_file,
                      code_blocks=self.config.code_block_edits)

    def _format_problem(self, message: str) -> None:
        self.format_errors += 1
        self.emit(FormatProblem(self.run_id, self.steps, message))
        self.messages.append(Message("user", message))
        if self.format_errors >= self.config.max_format_errors:
            raise TooManyFormatErrors(f"{self.format_errors} replies in a row without a usable tool call")

    def execute(self, call: ToolCall) -> str:
        """Run one call and return its observation (redacted); the policy may end the run after it."""
        started = time.perf_counter()
        ok, done = True, False
        tool = self.tools.get(call.name)
        try:
            if tool is None:
                raise ToolError(f"unknown tool {call.name!r}; available: {', '.join(self.tools)}")
            if tool.kind == "finish":
                observation = self.policy.finish(self, call)
            elif not check(self.config.approval, tool.kind, call.name, call.arguments, self.config.ask):
                raise ToolError(refusal(self.config.approval, call.name))
            else:
                observation = tool.invoke(self.ctx, call.arguments)
                self.at_hand = file_at_hand(tool, call) or self.at_hand
                observation, done = self.policy.after_tool(self, tool, call, observation)
        except ToolError as e:
            ok, observation = False, f"Error: {e}"
        observation = redact(observation)  # credentials never reach the prompt
        stop: LimitsExceeded | None = None
        try:
            edits = bool(tool and tool.edits)
            warning = self.stuck.observe(call, observation, ok, edits) if self.config.loop_detection else None
            if warning:
                observation += "\n\n" + warning
        except LimitsExceeded as e:
            stop = e
        duration = time.perf_counter() - started
        if self.clock:
            self.clock.tool(duration)
        self.emit(ToolExecuted(self.run_id, self.steps, call, observation, ok, duration))
        if stop:
            raise stop
        if done:
            raise Submitted("the tests pass after the edit")
        return observation

    def run_tests(self, phase: str) -> TestRun:
        assert self.ctx.test_command
        command = self.select_tests.command_for(phase) if self.select_tests else self.ctx.test_command
        res = run_command(command, self.ctx.root, timeout=self.config.test_timeout,
                          max_output_chars=20_000, env=self.ctx.env, wrap=self.ctx.wrap)
        test = TestRun(res.command, res.ok, res.exit_code, redact(res.output), res.duration_s, res.timed_out)
        self.last_test = test
        if self.clock:
            self.clock.test(res.duration_s)
        if self.select_tests and phase == "before":
            self.select_tests.saw_full_run(res.output, res.duration_s)
        self.emit(TestsRan(self.run_id, phase, self.steps, test))
        return test


def without_echo(completion: Completion, prefill: str) -> Completion:
    """The reply without a second copy of the text it was started with: a model given "```python\n" that
    writes "```python\n" again would leave an empty block first, and its code outside any block."""
    start = prefill.strip()
    rest = completion.text[len(prefill):]
    if not start or not completion.text.startswith(prefill) or not rest.lstrip().startswith(start):
        return completion
    return replace(completion, text=prefill + rest.lstrip()[len(start):].lstrip("\n"))
