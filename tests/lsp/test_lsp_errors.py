"""The server through a real LSP client (pytest-lsp), with no model: failures reach the editor as a
message, requests are still answered, and the server keeps running."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import initialize_params, inline_params, make_workspace, open_doc, server_command, server_env

WORKSPACE = make_workspace()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command("--model", "/nonexistent/model.gguf"),
                                              server_env=server_env()))
async def client(lsp_client: LanguageClient):
    result = await lsp_client.initialize_session(initialize_params(WORKSPACE))
    assert result.capabilities.inline_completion_provider is not None
    assert result.capabilities.completion_provider is not None
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_missing_model_is_one_message_and_no_crash(client: LanguageClient):
    main = WORKSPACE / "main.py"
    open_doc(client, main)
    got = await client.text_document_inline_completion_async(inline_params(main, 6, 17))
    assert got is not None and list(got.items) == []
    # a second request and the completion fallback are answered too: the server is alive
    again = await client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(main.as_uri()), lsp.Position(6, 17)))
    assert again is not None and list(again.items) == []
    errors = [m for m in client.messages if m.type == lsp.MessageType.Error]
    assert len(errors) == 1  # shown once, not once per keystroke
    assert "model file not found" in errors[0].message
    # the download suggested is a small FIM model for this machine, not the agent's 7B
    assert "Qwen2.5-Coder-0.5B-Instruct-GGUF" in errors[0].message and "7B" not in errors[0].message
    status = await client.protocol.send_request_async("smallcoder/status", {})
    assert status.ready is False and status.scheduler.started == 0
