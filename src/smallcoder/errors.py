"""Exceptions.

SmallcoderError             shown to the user as one line (the CLI adds no traceback
 ├── ConfigError            unless SMALLCODER_DEBUG is set); always says how to fix it
 ├── ModelNotFoundError
 ├── BackendError
 ├── WorkspaceError
 ├── SandboxUnavailable     no isolation the user allows can run here
 └── ToolError              raised by a tool; becomes an observation for the model

AgentInterrupt              control flow inside the agent loop; carries the reason
 ├── Submitted
 ├── Answered               a prose answer ends a conversation's turn (chat, review)
 ├── LimitsExceeded
 │    └── Stuck            the model goes in circles (agent/stuck.py, a verbatim repeat)
 ├── EmptyReplies           the model answered with nothing, again and again
 ├── TooManyFormatErrors
 └── Cancelled
"""

from __future__ import annotations


class SmallcoderError(Exception):
    """An error the user can act on. The message is one line that says what to do."""


class ConfigError(SmallcoderError):
    pass


class ModelNotFoundError(SmallcoderError):
    pass


class BackendError(SmallcoderError):
    pass


class WorkspaceError(SmallcoderError):
    pass


class SandboxUnavailable(SmallcoderError):
    """No isolation the user allows can run here; the message says how to fix it."""


class ToolError(SmallcoderError):
    """A tool could not do what was asked; the message goes back to the model."""


class AgentInterrupt(Exception):
    """Ends the agent loop. `reason` is a short machine-readable status."""

    reason = "interrupted"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class Submitted(AgentInterrupt):
    reason = "submitted"


class Answered(AgentInterrupt):
    reason = "answered"


class LimitsExceeded(AgentInterrupt):
    reason = "limits_exceeded"


class Stuck(LimitsExceeded):
    reason = "stuck"


class EmptyReplies(AgentInterrupt):
    """Neither text nor a tool call, several times in a row: a server-side fault (a chat template that
    drops the reply, a token limit used up by hidden reasoning), not the model's format."""

    reason = "empty_replies"


class TooManyFormatErrors(AgentInterrupt):
    reason = "format_errors"


class Cancelled(AgentInterrupt):
    reason = "cancelled"
