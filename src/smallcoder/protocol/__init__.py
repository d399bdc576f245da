"""The protocol layer: model text ⇄ tool calls. Pure functions, no I/O.

Dialects: "native" (server-parsed calls), "qwen3_xml", "hermes", "mistral",
"fenced_json", "bare_json", "lmstudio".
"""

from smallcoder.protocol.dialects import dialect_for_model
from smallcoder.protocol.feedback import format_error_message
from smallcoder.protocol.instructions import render_tool_instructions
from smallcoder.protocol.parse import DIALECTS, parse_tool_calls
from smallcoder.protocol.render import render_assistant_history, render_tool_calls
from smallcoder.protocol.result import ParseResult

__all__ = [
    "DIALECTS",
    "ParseResult",
    "dialect_for_model",
    "format_error_message",
    "parse_tool_calls",
    "render_assistant_history",
    "render_tool_calls",
    "render_tool_instructions",
]
