"""Turn a reply that shows fixed code, instead of calling a tool, into the edit it means.

Small models (Qwen2.5-Coder 0.5B/1.5B) often answer a bug report with the
corrected function in a ```python block. When that block defines a function
or class that exists in exactly one non-test file (or is only top-level
`NAME = …` statements, a table rewritten, for a NAME a file assigns), rewriting
it there is the obvious intent, and cheaper than another round trip to correct
the format. A block that does not parse (often because it leaves code out:
`# ... (existing code)` as the only line of an `if`) still becomes that call
when its first line defines such a name: the tool then says exactly what is
wrong with it, which a generic "call a tool" correction does not.
"""

from __future__ import annotations

import re
from pathlib import Path

from smallcoder.agent.context import relative_path
from smallcoder.repomap.files import list_files
from smallcoder.repomap.testpaths import is_test_path
from smallcoder.tools.definition import defined_names
from smallcoder.types import ToolCall

_BLOCK = re.compile(r"```(?:python|py|python3)?[ \t]*\n(.*?)```", re.DOTALL)


def edit_from_code_block(text: str, root: Path, prefer: tuple[str | None, ...] = ()) -> ToolCall | None:
    """The rewrite_function call a reply's last ```python block that defines something means, or None.

    The block's first function or class must be defined in exactly one non-test file, or, when
    several define it (`__init__`, `run`, a method name shared by classes), in a file of `prefer`
    (relative paths, first wins: the file the model last read or edited, then the task's file)."""
    blocks = _BLOCK.findall(text)
    if not blocks:
        return None
    sources = [f for f in list_files(root) if f.endswith(".py") and not is_test_path(f)]
    for block in reversed(blocks):  # the last block is usually the final version
        names = defined_names(block) or _first_definition(block)
        if not names:
            continue
        name = re.escape(names[0])  # a def or class anywhere, or an assignment at the top level
        pattern = re.compile(rf"^(?:\s*(?:async\s+)?(?:def|class)\s+{name}\b|{name}\s*(?::[^=\n]*)?=(?!=))",
                             re.MULTILINE)
        owners = [f for f in sources if _defines(root / f, pattern)]
        if len(owners) > 1:
            owners = [f for f in (relative_path(root, p) for p in prefer if p) if f in owners][:1]
        if len(owners) == 1:
            return ToolCall("rewrite_function", {"path": owners[0], "code": block}, id="salvaged")
    return None


_DEF_LINE = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)")


def _first_definition(block: str) -> list[str]:
    """[name] of the def or class that opens a block that does not parse, else []."""
    first = next((line for line in block.splitlines() if line.strip() and not line.lstrip().startswith(("#", "@"))),
                 "")
    m = _DEF_LINE.match(first)
    return [m[1]] if m else []


def _defines(path: Path, pattern: re.Pattern[str]) -> bool:
    try:
        return bool(pattern.search(path.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return False
