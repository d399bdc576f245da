"""Notices a model going in circles, tells it plainly, and stops the run if it goes on.

Patterns, each judged on executed calls and their results:
- the same call with the same result, again and again;
- two calls alternating (A, B, A, B, ...) with unchanged results;
- the same error message, whatever the call;
- edits that keep failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from smallcoder.agent.prompts import render
from smallcoder.errors import Stuck
from smallcoder.types import ToolCall

_HINTS = {
    "replace_in_file": "read the exact current text with read_file first, or rewrite the whole function with rewrite_function.",
    "read_file": "you already have that text; make an edit or call submit.",
    "search": "search for a different name, or read the file you found.",
}
_EDIT_HINT = ("give the complete new function to rewrite_function, or reply with the whole fixed function "
              "in a ```python block")


@dataclass
class StuckDetector:
    warn_after: int = 2  # repetitions before the model is told
    stop_after: int = 4  # repetitions before the run is stopped
    _keys: list[str] = field(default_factory=list)
    _errors: list[str] = field(default_factory=list)
    _failed_edits: int = 0

    def observe(self, call: ToolCall, observation: str, ok: bool, edits: bool = False) -> str | None:
        """Record one executed call (`edits`: its tool changes files). Returns a warning to append to the
        observation, or raises Stuck."""
        key = json.dumps([call.name, call.arguments, observation], sort_keys=True, default=str)
        self._keys.append(key)
        self._errors.append(observation if not ok else "")
        if edits:
            self._failed_edits = 0 if ok else self._failed_edits + 1

        same = _run_length(self._keys, step=1)
        pairs = _run_length(self._keys, step=2) if len(set(self._keys[-4:])) == 2 else 0
        errors = _run_length(self._errors, step=1) if not ok else 0
        # failed edits get one more chance: the warning offers a different edit shape
        if max(same, pairs, errors) >= self.stop_after or self._failed_edits > self.stop_after:
            raise Stuck(f"stuck: {self._describe(call, same, pairs, errors)}")
        if same >= self.warn_after:
            return render("stuck", what=f"called {call.name} with the same arguments {same} times and got the "
                          "same result", hint=_HINTS.get(call.name, "try another approach."))
        if pairs >= self.warn_after:
            return render("stuck", what="alternated between the same two calls with the same results",
                          hint="make an edit based on what you have read, or call submit.")
        if errors >= self.warn_after:
            return render("stuck", what=f"got the same error {errors} times", hint=_HINTS.get(call.name, _EDIT_HINT))
        if self._failed_edits >= 3:
            return render("stuck", what=f"tried {self._failed_edits} edits in a row that failed", hint=_EDIT_HINT)
        return None

    def _describe(self, call: ToolCall, same: int, pairs: int, errors: int) -> str:
        if same >= self.stop_after:
            return f"{call.name} repeated {same} times with the same result"
        if pairs >= self.stop_after:
            return "alternating between the same two calls"
        if errors >= self.stop_after:
            return f"the same error {errors} times"
        return f"{self._failed_edits} failed edits in a row"


def _run_length(items: list[str], *, step: int) -> int:
    """How many times the last `step` items repeat back from the end (A,B,A,B → 2 for step=2)."""
    if len(items) < step or not items[-1]:
        return 0
    tail = items[-step:]
    count, i = 0, len(items)
    while i - step >= 0 and items[i - step : i] == tail:
        count += 1
        i -= step
    return count
