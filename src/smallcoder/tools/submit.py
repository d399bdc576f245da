"""submit: the model says it is done; the agent loop ends on the exception."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from smallcoder.errors import Submitted
from smallcoder.tools.base import ToolContext


def submit(ctx: ToolContext, summary: Annotated[str, Field(description="what you changed and why")]) -> str:
    """Finish the task when the fix is done and tested."""
    raise Submitted(summary)
