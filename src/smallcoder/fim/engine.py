"""The FIM engine: editor state in, a clean suggestion out.

Per request: look in the result cache (an exact or typed-through hit costs no model call); cut the
prefix/suffix window (the prefix starts at a line that moves in steps of ``ANCHOR_LINES``, so
keystrokes keep the front of the prompt — and the KV cache — unchanged); gather context from other
files within the token budget; render the model's FIM format, with the code typed on the cursor's line
after the middle token (keystrokes on one line then change only the prompt's last few tokens, so the
KV cache keeps the suffix too); let the backend generate, stopping as
soon as a stop rule fires or the request is cancelled; clean the text and cache it.

One generation at a time per engine (a model has one KV cache); a newer request cancels an older
one through its ``cancel`` event, which the backend checks after every token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from smallcoder.errors import BackendError
from smallcoder.fim.backend_facts import fim_format, token_counter
from smallcoder.fim.cache import ResultCache
from smallcoder.fim.context import ContextGatherer, EditorState
from smallcoder.fim.formats import FimFormat, InfillRequest, RepoFile
from smallcoder.fim.stops import StopRules, cut, finish

ANCHOR_LINES = 32
Strategy = Literal["smallcoder", "none"]


@dataclass(frozen=True)
class FimOptions:
    """Sizes of one request. Token figures are model tokens; lines are source lines."""

    prefix_lines: int = 96
    suffix_lines: int = 16
    context_tokens: int = 1024  # for other files' snippets
    max_tokens: int = 64  # of middle
    max_lines: int = 12
    strategy: Strategy = "smallcoder"


@dataclass
class FimResult:
    """A suggestion and how it was made. Times in milliseconds; ``cached_tokens``: prompt tokens the KV
    cache served (``evaluated_tokens`` = the rest); ``from_cache``: answered by the result cache."""

    text: str
    from_cache: bool = False
    cancelled: bool = False
    prompt_tokens: int = 0
    cached_tokens: int = 0
    evaluated_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    context_files: list[str] = field(default_factory=list)
    finish_reason: str = ""
    format: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def window(state: EditorState, opts: FimOptions) -> tuple[str, str]:
    """(prefix, suffix) sent to the model: the prefix from an anchored line, the suffix a few lines."""
    lines = state.text.split("\n")
    line = min(max(state.line, 0), len(lines) - 1)
    col = min(max(state.col, 0), len(lines[line]))
    first = max(0, line - opts.prefix_lines)
    first -= first % ANCHOR_LINES
    prefix = "\n".join(lines[first:line] + [lines[line][:col]])
    after = [lines[line][col:]] + lines[line + 1:line + 1 + opts.suffix_lines]
    return prefix, "\n".join(after)


class FimEngine:
    """Completions for one backend (one model). ``repo_name`` names the repository in repo-level prompts."""

    def __init__(self, backend: Any, *, fmt: FimFormat | None = None, options: FimOptions | None = None,
                 repo_name: str = "", gatherer: ContextGatherer | None = None,
                 count: Callable[[str], int] | None = None) -> None:
        caps = getattr(backend, "capabilities", None)
        if not hasattr(backend, "infill") or (caps is not None and not caps.fim):
            raise BackendError(f"{getattr(backend, 'name', 'this model')} cannot fill in the middle (no FIM "
                               "tokens or transport) — use a FIM-trained model such as Qwen2.5-Coder or Qwen3-Coder")
        self.backend = backend
        self.format = fmt or fim_format(backend)
        self.options = options or FimOptions()
        self.repo_name = repo_name
        self.gatherer = gatherer or ContextGatherer()
        self.count = count or token_counter(backend)
        self.cache = ResultCache()
        self._lock = threading.Lock()
        self.requests = 0  # model requests made (result-cache hits excluded)

    def request_for(self, state: EditorState, files: Sequence[RepoFile] | None = None) -> InfillRequest:
        """The request this state produces. ``files`` overrides the gathered context (benchmarks)."""
        opts = self.options
        prefix, suffix = window(state, opts)
        if files is None:
            files = [] if opts.strategy == "none" else self.gatherer.gather(
                state, window=prefix + suffix, budget_tokens=opts.context_tokens, count=self.count)
        prompt = "" if self.format.family == "template" else self.format.render(
            prefix, suffix, path=state.path, repo_name=self.repo_name, files=files, typed_line_last=True)
        return InfillRequest(prompt=prompt, prefix=prefix, suffix=suffix, path=state.path, files=tuple(files),
                             max_tokens=opts.max_tokens, stop=tuple(self.format.stops))

    def complete(self, state: EditorState, *, cancel: threading.Event | None = None,
                 files: Sequence[RepoFile] | None = None, use_cache: bool = True) -> FimResult:
        """A suggestion at the state's cursor. Raises BackendError on transport failure; a cancelled
        request returns ``cancelled=True`` and an empty text (never a stale suggestion)."""
        started = time.perf_counter()
        prefix, suffix = state.split()
        if use_cache and (hit := self.cache.get(prefix, suffix)) is not None:
            return FimResult(hit.text, from_cache=True, latency_ms=_ms(time.perf_counter() - started),
                             format=self.format.family, finish_reason="cache")
        request = self.request_for(state, files)
        rules = StopRules.at(request.prefix, request.suffix, max_lines=self.options.max_lines)

        def should_stop(text: str) -> bool:
            return (cancel is not None and cancel.is_set()) or cut(text, rules, self.format)[1]

        with self._lock:
            if cancel is not None and cancel.is_set():
                return FimResult("", cancelled=True, format=self.format.family, finish_reason="cancelled")
            self.requests += 1
            done = self.backend.infill(request, should_stop=should_stop)
        cancelled = cancel is not None and cancel.is_set()
        text = "" if cancelled else finish(done.text, rules, self.format)
        if not cancelled and use_cache:
            self.cache.put(prefix, suffix, text)
        u = done.usage
        return FimResult(
            text, cancelled=cancelled, prompt_tokens=u.prompt_tokens, cached_tokens=u.cached_tokens,
            evaluated_tokens=max(u.prompt_tokens - u.cached_tokens, 0), completion_tokens=u.completion_tokens,
            latency_ms=_ms(time.perf_counter() - started),
            ttft_ms=None if done.ttft_s is None else _ms(done.ttft_s),
            context_files=sorted({f.path for f in request.files}),
            finish_reason="cancelled" if cancelled else done.finish_reason, format=self.format.family,
        )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
