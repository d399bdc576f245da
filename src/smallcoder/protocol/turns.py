"""Where the model's reply ends: the first end-of-turn or new-turn marker outside a call's value.

A server whose stop tokens are wrong (a chat template it does not know, a GGUF with the wrong
EOS id, `ignore_eos`, a raw completion endpoint) passes the end-of-turn token through as text,
and a small model then keeps going: it invents the tool's answer and the next user turn, and
often calls again on the strength of what it invented. Only the text before the first marker
is the reply. A marker inside a call's value (a chat template being written to a file) is data.

Markers, from the chat templates of the models the project targets (reference/model-formats.md)
and the other families people run: ChatML (Qwen2.5/Qwen3: <|im_end|>, <|im_start|>, <|endoftext|>,
the FIM/repo tokens in Qwen's stop list, and <tool_response>, which opens a tool's answer in
the next user turn), Mistral/Devstral (</s>, [INST], [/INST], [TOOL_RESULTS], [SYSTEM_PROMPT],
[AVAILABLE_TOOLS]), Llama 3 (<|eot_id|>, <|eom_id|>, <|start_header_id|>), Gemma (<end_of_turn>,
<start_of_turn>), Phi-3 (<|end|>, <|user|>), DeepSeek (<｜end▁of▁sentence｜>, <｜User｜>).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

END_OF_TURN = (
    "<|im_end|>", "<|im_start|>", "<|endoftext|>", "<tool_response>",
    "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>",
    "</s>", "[INST]", "[/INST]", "[TOOL_RESULTS]", "[SYSTEM_PROMPT]", "[AVAILABLE_TOOLS]",
    "<|eot_id|>", "<|eom_id|>", "<|start_header_id|>",
    "<end_of_turn>", "<start_of_turn>",
    "<|end|>", "<|user|>",
    "<｜end▁of▁sentence｜>", "<｜User｜>",
)
_MARKER = re.compile("|".join(re.escape(m) for m in END_OF_TURN))
# The header of the turn being answered, echoed at the very start by some servers: not an end.
_OWN_HEADER = re.compile(
    r"\A\s*(?:<\|im_start\|>assistant\b|<\|start_header_id\|>assistant<\|end_header_id\|>|<start_of_turn>model\b)"
)

Span = tuple[int, int]


def reply_end(text: str, spans: Sequence[Span] = ()) -> tuple[int, int]:
    """(start, end) of the reply in `text`: after an echoed own-turn header, up to the first marker
    that is not inside one of `spans` (the calls read from the text: a marker there is data)."""
    header = _OWN_HEADER.match(text)
    start = header.end() if header else 0
    for marker in _MARKER.finditer(text, start):
        if not _inside(marker.start(), spans):
            return start, marker.start()
    return start, len(text)


def _inside(pos: int, spans: Sequence[Span]) -> bool:
    return any(start < pos < end for start, end in spans)
