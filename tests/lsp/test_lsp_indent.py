"""Field report (Neovim 0.7.2, completion fallback, Qwen2.5-Coder 0.5B): on a line the editor indented
for the block above, a suggestion one level out (``elif``) landed at the editor's indent. Through a real
LSP client (pytest-lsp) and the llama-server /infill fake: on a line blank left of the cursor the model
is asked from the line's start, and the items replace the editor's whitespace, for the completion
fallback and inline completion; a deeper suggestion is inserted at the cursor; the next line still
comes from the result cache."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.fim.infill_fakes import InfillServerFake
from tests.lsp.helpers import initialize_params, inline_params, insert, make_workspace, open_doc, server_command, \
    server_env

WORKSPACE = make_workspace()
FAKE = InfillServerFake().__enter__()  # lives as long as the test process
SIGN = "def sign(x, y):\n    if x:\n        return 1\n        \n    return 0\n"


def model(body: dict[str, Any]) -> str:
    """What a FIM model writes here: from a line's start, the indent it wants; after the editor's
    indent, it cannot take any back."""
    at_line_start = body["input_prefix"].endswith("\n") and not body.get("prompt")
    prefix = body["input_prefix"] + body.get("prompt", "")
    if prefix.rstrip(" ").endswith("return 1\n"):
        return "    elif y:\n        return 2" if at_line_start else "elif y:\n        return 2"
    if prefix.rstrip(" ").endswith("for x in xs:\n"):
        return "        t += x" if at_line_start else "    t += x"
    return "pass"


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=server_command("--model", f"openai:{FAKE.url}/v1#{FAKE.model}", "--debounce-ms", "0", "--no-stats"),
    server_env=server_env(Path(tempfile.mkdtemp(prefix="smallcoder-lsp-home-")))))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(initialize_params(WORKSPACE))
    FAKE.respond = model
    yield
    await lsp_client.shutdown_session()


def write(name: str, text: str) -> Path:
    path = WORKSPACE / name
    path.write_text(text)
    return path


def completion(path: Path, line: int, col: int) -> lsp.CompletionParams:
    return lsp.CompletionParams(lsp.TextDocumentIdentifier(path.as_uri()), lsp.Position(line, col))


def applied(line: str, rng: lsp.Range, text: str) -> str:
    assert rng.start.line == rng.end.line  # LSP: a completion edit and an inline range are one line
    return line[:rng.start.character] + text + line[rng.end.character:]


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_replaces_the_auto_indent_and_the_next_line_comes_from_the_cache(client: LanguageClient):
    path = write("sign.py", SIGN)
    open_doc(client, path)
    got = await client.text_document_completion_async(completion(path, 3, 8))
    assert FAKE.bodies[-1]["input_prefix"].endswith("return 1\n")  # asked from the line's start
    [item] = got.items
    edit = item.text_edit
    assert isinstance(edit, lsp.TextEdit)
    assert applied(" " * 8, edit.range, edit.new_text) == "    elif y:"  # one level out, not at the auto-indent
    assert edit.range.start.character <= 8 == edit.range.end.character  # contains the position
    assert item.filter_text is not None and item.filter_text.startswith((" " * 8)[edit.range.start.character:])

    # accepted (the edit as sent), then Enter: the editor indents the new line for the `elif` body
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(version=2, uri=path.as_uri()),
        [lsp.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)]))
    insert(client, path, 3, 3, 11, "\n        ")
    requests = len(FAKE.bodies)
    again = await client.text_document_completion_async(completion(path, 4, 8))
    assert len(FAKE.bodies) == requests  # the rest of the suggestion, without the model
    [item] = again.items
    assert isinstance(item.text_edit, lsp.TextEdit)
    assert applied(" " * 8, item.text_edit.range, item.text_edit.new_text) == "        return 2"


@pytest.mark.asyncio(loop_scope="module")
async def test_inline_completion_replaces_the_auto_indent(client: LanguageClient):
    path = write("sign_inline.py", SIGN)
    open_doc(client, path)
    got = await client.text_document_inline_completion_async(inline_params(path, 3, 8))
    [item] = got.items
    assert item.range is not None and item.range.end == lsp.Position(3, 8)
    assert isinstance(item.insert_text, str)
    first, rest = item.insert_text.split("\n", 1)
    assert applied(" " * 8, item.range, first) == "    elif y:" and rest == "        return 2"
    replaced = (" " * 8)[item.range.start.character:]
    assert replaced == "" or (isinstance(item.filter_text, str) and item.filter_text.startswith(replaced))


@pytest.mark.asyncio(loop_scope="module")
async def test_a_deeper_suggestion_is_inserted_at_the_cursor(client: LanguageClient):
    path = write("total.py", "def total(xs):\n    t = 0\n    for x in xs:\n    \n    return t\n")
    open_doc(client, path)
    got = await client.text_document_completion_async(completion(path, 3, 4))
    [item] = got.items
    assert isinstance(item.text_edit, lsp.TextEdit)
    assert item.text_edit.range == lsp.Range(lsp.Position(3, 4), lsp.Position(3, 4))
    assert applied("    ", item.text_edit.range, item.text_edit.new_text) == "        t += x"
    inline = await client.text_document_inline_completion_async(inline_params(path, 3, 4))
    assert [(i.range, i.insert_text) for i in inline.items] == [(item.text_edit.range, "    t += x")]
