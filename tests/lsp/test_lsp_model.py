"""End to end with a real LSP client (pytest-lsp) and the real 0.5B model in process: a suggestion
at the cursor, fast typing with the client cancelling superseded requests (no stale suggestion,
fewer generations than keystrokes), and acceptance counted in the store."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from smallcoder.store.fim_stats import FimStats
from tests.lsp.helpers import MODEL, initialize_params, inline_params, insert, make_workspace, open_doc, \
    server_command, server_env

pytestmark = [pytest.mark.model, pytest.mark.skipif(not MODEL.is_file(), reason="test model not fetched")]

WORKSPACE = make_workspace()
HOME = Path(tempfile.mkdtemp(prefix="smallcoder-lsp-home-"))


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=server_command("--model", str(MODEL), "--ctx", "2048", "--debounce-ms", "30"),
    server_env=server_env(HOME)))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(initialize_params(WORKSPACE))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_suggestion_fast_typing_and_acceptance(client: LanguageClient):
    main = WORKSPACE / "main.py"
    open_doc(client, main)
    # 1. a suggestion at `        total += |`: clean text, never the suffix's next line, no special token
    first = await asyncio.wait_for(client.text_document_inline_completion_async(inline_params(main, 6, 17)), 300)
    assert first is not None and len(first.items) == 1
    text = first.items[0].insert_text
    assert text.strip() and "<|" not in text and "return total" not in text
    assert first.items[0].range == lsp.Range(lsp.Position(6, 17), lsp.Position(6, 17))

    # 2. fast typing, away from the suggestion (so the result cache cannot answer): a keystroke every 20 ms,
    #    each followed by a request; the client cancels the previous one
    version, col, pending = 2, 17, []
    for ch in "squ":
        insert(client, main, version, 6, col, ch)
        version, col = version + 1, col + 1
        if pending:
            client.protocol.notify("$/cancelRequest", lsp.CancelParams(id=pending[-1][0]))
        msg_id = f"typing-{col}"
        pending.append((msg_id, asyncio.ensure_future(client.protocol.send_request_async(  # sent now
            "textDocument/inlineCompletion", inline_params(main, 6, col), msg_id=msg_id))))
        await asyncio.sleep(0.02)
    answers = await asyncio.wait_for(asyncio.gather(*[f for _, f in pending], return_exceptions=True), 300)
    for stale in answers[:-1]:  # cancelled (an error answer) or empty: never a suggestion for old text
        assert isinstance(stale, Exception) or not stale.items, stale
    last = answers[-1]
    assert not isinstance(last, Exception) and len(last.items) == 1
    status = await client.protocol.send_request_async("smallcoder/status", {})
    counts = status.scheduler
    assert counts.started < counts.received  # the burst did not cost a generation per keystroke
    assert counts.debounced + counts.superseded + counts.cancelled >= len(pending) - 1

    # 3. accepting the suggestion (inserting it where it was offered) is counted
    suggestion = last.items[0].insert_text
    insert(client, main, version, 6, col, suggestion)
    await client.protocol.send_request_async("smallcoder/status", {})  # the change has been handled
    rows = FimStats(HOME / "runs.sqlite3").summary()
    assert rows and rows[0].language == "python" and rows[0].accepted >= 1 and rows[0].shown >= 2
