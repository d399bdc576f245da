"""Where a suggestion goes on the cursor's line (lsp/items.py), and whether editors keep the items: an
editor's auto-indent that differs from the suggestion's indent is replaced, and the filter text starts
with the replaced text. Neovim's filters are restated from its runtime (0.7.2: lua/vim/lsp.lua
``adjust_start_col`` and ``omnifunc``, lua/vim/lsp/util.lua ``remove_unmatch_completion_items``; 0.11+:
lua/vim/lsp/completion.lua ``_lsp_to_complete_items``)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from smallcoder.fim.context import EditorState
from smallcoder.lsp.items import completion_items, inline_item, line_start_state, place


def item_at(line: str, col: int, suggestion: str) -> lsp.CompletionItem:
    items = completion_items(lsp.Position(3, col), place(line, col, suggestion), None)
    assert len(items) == 1
    return items[0]


def applied(line: str, item: lsp.CompletionItem) -> str:
    """The line after a client that honours the edit's range (LSP) accepts ``item``."""
    edit = item.text_edit
    assert isinstance(edit, lsp.TextEdit) and edit.range.start.line == edit.range.end.line
    return line[:edit.range.start.character] + edit.new_text + line[edit.range.end.character:]


def keyword_start(line: str, col: int) -> int:
    start = col
    while start > 0 and (line[start - 1].isalnum() or line[start - 1] == "_"):
        start -= 1
    return start


def neovim_07(line: str, col: int, item: lsp.CompletionItem) -> str | None:
    """Neovim 0.7.2's ``vim.lsp.omnifunc``: the edit's start only for items without filterText, else the
    keyword start; an item whose text does not start with what lies from there to the cursor is dropped
    (None); a kept one is written from there."""
    assert isinstance(item.text_edit, lsp.TextEdit)
    start = item.text_edit.range.start.character if item.filter_text is None else keyword_start(line, col)
    word = item.text_edit.new_text
    return line[:start] + word + line[col:] if word.startswith(line[start:col]) else None


def neovim_011_keeps(line: str, col: int, item: lsp.CompletionItem) -> bool:
    """Neovim 0.11+: the earliest edit start; a prefix with a letter or digit must start filterText (or label)."""
    assert isinstance(item.text_edit, lsp.TextEdit)
    prefix = line[item.text_edit.range.start.character:col]
    return not any(c.isalnum() for c in prefix) or (item.filter_text or item.label).startswith(prefix)


def test_dedent_replaces_the_auto_indent():
    line = " " * 8  # `if x:` body's indent, given by the editor; the suggestion is `elif` one level out
    item = item_at(line, 8, "    elif y:\n        return 2")
    assert applied(line, item) == "    elif y:"
    assert item.text_edit.range.start.character == 4 and item.text_edit.new_text == "elif y:"  # type: ignore[union-attr]
    assert item.filter_text is not None and item.filter_text.startswith(line[4:8])
    assert neovim_011_keeps(line, 8, item)
    assert neovim_07(line, 8, item) == " " * 8 + "elif y:"  # kept, at the cursor: docs/editors.md moves it


def test_dedent_to_column_zero_and_tabs():
    assert applied("\t\t", item_at("\t\t", 2, "\tdef g():")) == "\tdef g():"
    assert applied("    ", item_at("    ", 4, "x = 1")) == "x = 1"
    assert applied("\t", item_at("\t", 1, "    pass")) == "    pass"  # other whitespace: all of it replaced


def test_deeper_suggestion_is_inserted_at_the_cursor():
    line = " " * 4  # the editor did not indent after `for x in xs:`
    item = item_at(line, 4, "        t += x")
    assert item.text_edit.range.start.character == 4 and item.text_edit.new_text == "    t += x"  # type: ignore[union-attr]
    assert applied(line, item) == "        t += x"
    assert neovim_07(line, 4, item) == "        t += x" and neovim_011_keeps(line, 4, item)


def test_same_indent_and_words_unchanged():
    assert applied(" " * 8, item_at(" " * 8, 8, "        total += r")) == "        total += r"
    line = "    total += ci"
    item = item_at(line, len(line), "rcle_area(r)")  # the word before the cursor is replaced by word + suggestion
    assert item.text_edit.new_text == "circle_area(r)" and item.filter_text == "circle_area(r)"  # type: ignore[union-attr]
    assert applied(line, item) == "    total += circle_area(r)"
    assert neovim_07(line, len(line), item) == "    total += circle_area(r)"


def test_inline_item_replaces_the_indent_and_shows_the_whole_suggestion():
    line, pos = " " * 8, lsp.Position(3, 8)
    item = inline_item(pos, place(line, 8, "    elif y:\n        return 2"), None)
    assert item.range == lsp.Range(lsp.Position(3, 4), pos)
    assert item.insert_text == "elif y:\n        return 2"
    assert isinstance(item.filter_text, str) and item.filter_text.startswith(line[4:8])  # LSP: replaced text first
    plain = inline_item(lsp.Position(3, 10), place("    x = ci", 10, "rcle(r)"), None)  # after a word: at the cursor
    assert plain.range == lsp.Range(lsp.Position(3, 10), lsp.Position(3, 10)) and plain.insert_text == "rcle(r)"


def test_line_start_state_drops_only_whitespace_left_of_the_cursor():
    state = EditorState("a.py", "if x:\n    a = 1\n        \nb = 2\n", 2, 8, root=Path("."))
    at_start = line_start_state(state)
    assert (at_start.line, at_start.col) == (2, 0)
    assert at_start.split() == ("if x:\n    a = 1\n", "\nb = 2\n")
    coded = EditorState("a.py", "if x:\n    a = \n", 1, 8, root=Path("."))
    assert line_start_state(coded) is coded
