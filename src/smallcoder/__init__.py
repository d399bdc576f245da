"""smallcoder: local-first agentic coding for small open models."""

from smallcoder.types import Completion, Message, ToolCall, ToolSpec, Usage

__version__ = "0.1.0"
__all__ = ["Completion", "Message", "ToolCall", "ToolSpec", "Usage", "__version__"]
