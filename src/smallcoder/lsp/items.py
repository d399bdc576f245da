"""Where a suggestion goes on the cursor's line, and the LSP items that carry it there.

On a line blank left of the cursor (an editor's auto-indent, or nothing yet) the model is asked from
the line's start (``line_start_state``), so its suggestion carries its own indent: ``elif y:`` one
level out, or a body one level in. The item then replaces the whitespace that differs: the edit starts
where the line's whitespace and the suggestion's indent part (their common prefix) and ends at the
cursor, and its text is the suggestion from there. A deeper suggestion is a plain insertion at the
cursor; a shallower one replaces the extra whitespace. Everywhere else the item replaces the word
before the cursor with word + suggestion, as clients filter by that word.

Clients filter completion items by the text between the edit's start and the cursor, so the filter
text starts with that text (the whitespace a dedent replaces, or the word). Neovim 0.7.2's
``vim.lsp.omnifunc`` uses the edit's start only for items without ``filterText`` and drops an item
whose text does not start with what it replaces, so there no item can take indentation away: with a
filter text it keeps the item but writes it at the cursor, a dedent one level too deep, and
docs/editors.md has the few lines of Lua (keyed on ``DETAIL``) that move it. LSP 3.18: ``CompletionItem.textEdit`` is one line and contains the position;
``InlineCompletionItem.range`` is one line, and the item shows when the replaced text is a prefix of
its ``filterText``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from lsprotocol import types as lsp

from smallcoder.fim.context import EditorState

DETAIL = "smallcoder"


@dataclass(frozen=True)
class Placement:
    """A suggestion placed on the cursor's line: ``text`` replaces the line's ``start``…cursor, whose
    text is ``replaced`` (columns in the document's characters)."""

    start: int
    text: str
    replaced: str

    @property
    def added(self) -> tuple[int, str]:
        """(column, text) of what the suggestion adds: after the word it keeps, or at the edit's start when
        it replaces whitespace. Acceptance is watched there (lsp/server.py)."""
        if self.replaced and self.text.startswith(self.replaced):
            return self.start + len(self.replaced), self.text[len(self.replaced):]
        return self.start, self.text

    @property
    def filter_text(self) -> str:
        """What clients filter by: the text from the edit's start to the cursor, then the suggestion."""
        return self.text if self.text.startswith(self.replaced) else self.replaced + self.text


def blank_before(line: str, col: int) -> bool:
    """Only whitespace (or nothing) left of the cursor on its line."""
    return not line[:col].strip()


def line_start_state(state: EditorState) -> EditorState:
    """``state`` with the whitespace left of the cursor removed and the cursor at the line's start, when
    that is all the line holds left of it; else ``state`` itself. The model then writes the indent."""
    lines = state.text.split("\n")
    if not 0 <= state.line < len(lines) or state.col <= 0 or not blank_before(lines[state.line], state.col):
        return state
    line = lines[state.line]
    lines[state.line] = line[min(state.col, len(line)):]
    return replace(state, text="\n".join(lines), col=0)


def place(line: str, col: int, suggestion: str) -> Placement:
    """Where ``suggestion`` goes. On a line blank left of ``col`` it was written from the line's start
    (``line_start_state``), with its own indent; elsewhere at the cursor, after the word there."""
    if blank_before(line, col):
        indent = suggestion[:len(suggestion) - len(suggestion.lstrip(" \t"))]
        keep = len(os.path.commonprefix([line[:col], indent]))
        return Placement(keep, suggestion[keep:], line[keep:col])
    start = col
    while start > 0 and (line[start - 1].isalnum() or line[start - 1] == "_"):
        start -= 1
    word = line[start:col]
    return Placement(start, word + suggestion, word)


def inline_item(position: lsp.Position, placed: Placement, command: lsp.Command | None) -> lsp.InlineCompletionItem:
    """The whole suggestion as ghost text: over the whitespace it replaces, or at the cursor (a word
    before the cursor stays: the client shows what follows it)."""
    col, text = placed.added
    at = lsp.Range(lsp.Position(position.line, col), position)
    if col == position.character:
        return lsp.InlineCompletionItem(insert_text=text, range=at, command=command)
    return lsp.InlineCompletionItem(insert_text=text, range=at, filter_text=placed.filter_text, command=command)


def completion_items(position: lsp.Position, placed: Placement, command: lsp.Command | None) -> list[lsp.CompletionItem]:
    """The suggestion's first line as a completion item (none when it is blank). One line only: Vim's
    completion menu (Neovim before 0.12) writes a newline in an item as a NUL byte into the file; the
    rest comes line by line from the result cache (fim/engine.py), without the model."""
    text = placed.text.split("\n", 1)[0]
    if not text.strip():
        return []
    first = Placement(placed.start, text, placed.replaced)
    edit = lsp.TextEdit(lsp.Range(lsp.Position(position.line, placed.start), position), text)
    return [lsp.CompletionItem(
        label=text.rstrip(), kind=lsp.CompletionItemKind.Text, detail=DETAIL, filter_text=first.filter_text,
        sort_text="00", documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, f"```\n{text}\n```"),
        text_edit=edit, insert_text_format=lsp.InsertTextFormat.PlainText, command=command,
    )]
