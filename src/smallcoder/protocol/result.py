"""What the protocol layer hands back, and the intermediate shape every dialect parser produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smallcoder.types import ToolCall


@dataclass
class ParseResult:
    """Tool calls understood from one model reply.

    content: the model's text before the first call, with <think>…</think> removed.
    calls:   calls whose arguments were coerced to the schema types and validated.
    errors:  one message per call that could not be understood or validated.
    dialect: the format that was detected ("hermes", "qwen3_xml", …), None when no call was found.
    """

    content: str
    calls: list[ToolCall] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialect: str | None = None


# No model writes more calls than this in one reply; the cap bounds the work on degenerate output.
MAX_CALLS = 32


@dataclass
class Candidate:
    """A call as a dialect parser read it, before names and arguments are checked against the tools.

    raw_values: the argument values are untyped text (Qwen3 XML), so the schema decides their type.
    error: set when the call's body could not be read at all; name may still be known.
    """

    start: int
    end: int
    name: str | None = None
    arguments: Any = None
    id: str = ""
    raw_values: bool = False
    error: str | None = None
