"""Notices a model repeating itself: the same call with the same result, again and again."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from smallcoder.agent.prompts import render
from smallcoder.errors import LimitsExceeded
from smallcoder.types import ToolCall

_HINTS = {
    "replace_in_file": "read the exact current text with read_file first, or rewrite the file with write_file.",
    "read_file": "you already have that text; make an edit or call submit.",
    "search": "search for a different name, or read the file you found.",
}


@dataclass
class StuckDetector:
    warn_after: int = 2  # identical (call, result) pairs in a row before the model is warned
    stop_after: int = 4  # ... before the run is stopped
    _history: list[str] = field(default_factory=list)

    def observe(self, call: ToolCall, observation: str) -> str | None:
        """Record one executed call. Returns a warning to append to the observation, or raises LimitsExceeded."""
        key = json.dumps([call.name, call.arguments, observation], sort_keys=True, default=str)
        self._history.append(key)
        repeats = 0
        for past in reversed(self._history):
            if past != key:
                break
            repeats += 1
        if repeats >= self.stop_after:
            raise LimitsExceeded(f"stuck: {call.name} repeated {repeats} times with the same result")
        if repeats >= self.warn_after:
            hint = _HINTS.get(call.name, "read the relevant code again, or try another approach.")
            return render("stuck", name=call.name, count=repeats, hint=hint)
        return None
