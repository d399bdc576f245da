"""End to end with a real LSP client (pytest-lsp) and the server's model behind a faithful local fake
of llama-server's /infill (tests/fim/infill_fakes.py), streaming slowly: superseded generations are
stopped mid-stream, no stale suggestion reaches the client, and acceptance is counted."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from smallcoder.store.fim_stats import FimStats
from tests.fim.infill_fakes import InfillServerFake
from tests.lsp.helpers import initialize_params, inline_params, insert, make_workspace, open_doc, server_command, \
    server_env

WORKSPACE = make_workspace()
HOME = Path(tempfile.mkdtemp(prefix="smallcoder-lsp-home-"))
FAKE = InfillServerFake(delay_s=0.02).__enter__()  # lives as long as the test process


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=server_command("--model", f"openai:{FAKE.url}/v1#{FAKE.model}", "--debounce-ms", "0"),
    server_env=server_env(HOME)))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(initialize_params(WORKSPACE))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="module")
async def test_fast_typing_stops_old_generations_and_shows_only_the_newest(client: LanguageClient):
    main = WORKSPACE / "main.py"
    open_doc(client, main)
    FAKE.middles[:] = ["circle_area(r) + square_area(r)\n    return total\n"]
    first = await client.text_document_inline_completion_async(inline_params(main, 6, 17))
    assert [i.insert_text for i in first.items] == ["circle_area(r) + square_area(r)"]  # stopped at the suffix
    assert FAKE.bodies[-1]["input_suffix"].startswith("\n    return total")
    assert any(x["filename"] == "shapes.py" for x in FAKE.bodies[-1]["input_extra"])  # the imported definitions

    # every keystroke starts a slow generation (60 pieces, 1.2 s); each newer one must stop the older
    n_before = len(FAKE.bodies)
    # the code typed on the cursor's line travels in "prompt", after the middle token
    FAKE.respond = lambda body: "uare_area(r)" if body.get("prompt", "").endswith("+= sqr") else "STALE" + "x" * 180
    version, col, pending = 2, 17, []
    for ch in "sqr":
        insert(client, main, version, 6, col, ch)
        version, col = version + 1, col + 1
        msg_id = f"k{col}"
        pending.append(asyncio.ensure_future(client.protocol.send_request_async(  # sent now, not when awaited
            "textDocument/inlineCompletion", inline_params(main, 6, col), msg_id=msg_id)))
        await asyncio.sleep(0.15)  # long enough for the generation to start streaming
    answers = await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 60)
    for stale in answers[:-1]:
        assert isinstance(stale, Exception) or not stale.items
    assert [i.insert_text for i in answers[-1].items] == ["uare_area(r)"]
    stopped = FAKE.pieces_sent[n_before:-1]
    assert stopped and all(n < 60 for n in stopped), stopped  # the old streams were cut off, not run to the end

    # the client's own $/cancelRequest stops a generation too
    FAKE.respond = lambda body: "y" * 180
    insert(client, main, version, 6, col, "t")
    col += 1
    pending_id = "cancel-me"
    fut = asyncio.ensure_future(client.protocol.send_request_async(
        "textDocument/inlineCompletion", inline_params(main, 6, col), msg_id=pending_id))
    await asyncio.sleep(0.2)
    client.protocol.notify("$/cancelRequest", lsp.CancelParams(id=pending_id))
    result = await asyncio.wait_for(asyncio.gather(fut, return_exceptions=True), 30)
    assert isinstance(result[0], Exception) or not result[0].items
    FAKE.respond = None
    status = await client.protocol.send_request_async("smallcoder/status", {})
    assert status.scheduler.cancelled >= 1 and status.scheduler.superseded + status.scheduler.cancelled >= 3


@pytest.mark.asyncio(loop_scope="module")
async def test_accept_command_is_counted(client: LanguageClient):
    main = WORKSPACE / "main.py"
    open_doc(client, main)
    FAKE.middles[:] = ["circle_area(r)"]
    got = await client.text_document_inline_completion_async(inline_params(main, 6, 17))
    item = got.items[0]
    assert item.command is not None and item.command.command == "smallcoder.accepted"
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(item.command.command,
                                                                          item.command.arguments))
    rows = FimStats(HOME / "runs.sqlite3").summary()
    assert sum(r.accepted for r in rows) >= 1


@pytest.mark.asyncio(loop_scope="module")
async def test_suggestion_inserted_piece_by_piece_is_accepted(client: LanguageClient):
    # Vim's completion (and a typist) inserts a suggestion a character at a time
    main = WORKSPACE / "main.py"
    open_doc(client, main)
    FAKE.respond = lambda body: " + square_area(r)"  # at the end of `    return total`: not cached yet
    got = await client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(main.as_uri()), lsp.Position(7, 16)))
    FAKE.respond = None
    assert [i.text_edit.new_text for i in got.items] == ["total + square_area(r)"]  # word + suggestion
    before = sum(r.accepted for r in FimStats(HOME / "runs.sqlite3").summary())
    for i, ch in enumerate(" + square_area(r)"):
        insert(client, main, 10 + i, 7, 16 + i, ch)
    await client.protocol.send_request_async("smallcoder/status", {})
    assert sum(r.accepted for r in FimStats(HOME / "runs.sqlite3").summary()) == before + 1


@pytest.mark.asyncio(loop_scope="module")
async def test_an_edit_while_generating_means_no_answer_and_items_are_one_line(client: LanguageClient):
    # Neovim 0.7: <C-x><C-o>, then one more key before the answer: the late answer was computed for text that
    # is gone, and Vim would insert it over the new key. Vim's menu also writes a newline as a NUL byte.
    main = WORKSPACE / "scratch.py"
    main.write_text("def f(x):\n    return \n")
    open_doc(client, main)
    FAKE.respond = lambda body: "x * 2" + "z" * 120  # slow: 125 pieces
    pending = asyncio.ensure_future(client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(main.as_uri()), lsp.Position(1, 11))))
    await asyncio.sleep(0.2)
    insert(client, main, 2, 1, 11, "(")  # typed while the model was still generating
    late = await asyncio.wait_for(pending, 30)
    assert not late.items
    FAKE.respond = lambda body: "x * 2\n    y = 3\n    return y"
    got = await client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(main.as_uri()), lsp.Position(1, 12)))
    FAKE.respond = None
    assert [i.text_edit.new_text for i in got.items] == ["x * 2"]
    assert all("\n" not in i.text_edit.new_text and i.kind == lsp.CompletionItemKind.Text for i in got.items)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_suggestion_taken_line_by_line_then_left_counts_as_partial(client: LanguageClient):
    # Vim's menu gives one line; the user takes it, goes on, and the next suggestion is a fresh one
    main = WORKSPACE / "partial.py"
    main.write_text("def g(n):\n    \n\nx = 1\n")
    open_doc(client, main)
    # on a line blank left of the cursor the model is asked from the line's start, so it writes the indent
    FAKE.respond = lambda body: "    total = n * 2\n    return total"
    got = await client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(main.as_uri()), lsp.Position(1, 4)))
    assert FAKE.bodies[-1]["input_prefix"].endswith("def g(n):\n")
    assert [i.text_edit.new_text for i in got.items] == ["total = n * 2"]
    before = sum(r.partial for r in FimStats(HOME / "runs.sqlite3").summary())
    insert(client, main, 2, 1, 4, "total = n * 2\n    ")  # the first line taken, then Enter and the indent
    FAKE.respond = lambda body: "2"
    await client.text_document_completion_async(lsp.CompletionParams(  # a fresh suggestion elsewhere
        lsp.TextDocumentIdentifier(main.as_uri()), lsp.Position(4, 4)))
    FAKE.respond = None
    assert sum(r.partial for r in FimStats(HOME / "runs.sqlite3").summary()) == before + 1
