"""Calls a server already parsed (OpenAI tool_calls, Ollama tool_calls): they only need
the same name resolution, coercion and validation as calls read from text."""

from __future__ import annotations

from smallcoder.protocol.result import Candidate
from smallcoder.types import ToolCall


def candidates(calls: list[ToolCall]) -> list[Candidate]:
    # Arguments may still be the OpenAI JSON string if a backend passed it through; the
    # validator decodes strings leniently.
    return [Candidate(start=0, end=0, name=c.name, arguments=c.arguments, id=c.id) for c in calls]
