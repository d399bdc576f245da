"""The language server: FIM suggestions as LSP 3.18 ``textDocument/inlineCompletion`` items, and as
``textDocument/completion`` items for clients without inline completion.

The model loads in the background once the client has initialized, so the editor never waits on
start-up; requests made before it is ready wait for it. Failures (no model, a model without FIM, a
server gone away) are shown to the editor as one message and answered with no suggestion; the
server itself keeps running.

Acceptance statistics (local store, ``smallcoder complete stats``): every suggestion shown is
recorded; it counts as accepted when the client runs the item's ``smallcoder.accepted`` command or
when exactly that text is inserted at that place, at once or piece by piece (clients that run no
commands; Vim inserts a completion character by character), and as partially accepted when only
its first line is.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from smallcoder import __version__
from smallcoder.fim.context import EditorState, Snippet
from smallcoder.fim.engine import FimEngine, FimResult
from smallcoder.lsp.items import Placement, completion_items, inline_item, line_start_state, place
from smallcoder.lsp.scheduler import Scheduler
from smallcoder.store.fim_stats import FimStats

log = logging.getLogger(__name__)

ACCEPTED = "smallcoder.accepted"
PARTIAL = "smallcoder.partial"
STATUS = "smallcoder/status"
EDIT_RING = 8  # recently edited chunks kept as context
EDIT_CONTEXT_LINES = 8  # lines either side of a change kept as its chunk


class Shown:
    """The suggestion last shown in a document: where, what, and its statistics row."""

    def __init__(self, row: int, line: int, col: int, text: str) -> None:
        self.row, self.line, self.col, self.text = row, line, col, text


class SmallcoderServer(LanguageServer):
    """pygls server holding one FIM engine, its scheduler and the statistics store."""

    def __init__(self, open_engine: Callable[[], FimEngine], *, debounce_s: float = 0.05,
                 stats: FimStats | None = None) -> None:
        super().__init__("smallcoder", __version__)
        self._open_engine = open_engine
        self.engine_future: Future[FimEngine] = Future()
        self.scheduler = Scheduler(debounce_s)
        self.stats = stats
        self.shown: dict[str, Shown] = {}
        self.edits: deque[Snippet] = deque(maxlen=EDIT_RING)
        self._messages_shown: set[str] = set()
        self._loading = False

    # -- engine -------------------------------------------------------------------

    def start_loading(self) -> None:
        if self._loading:
            return
        self._loading = True

        def load() -> None:
            try:
                engine = self._open_engine()
                root = self.workspace.root_path if self.workspace else None
                if root and not engine.repo_name:
                    engine.repo_name = Path(root).name  # <|repo_name|> in repo-level prompts
                self.engine_future.set_result(engine)
            except BaseException as e:  # shown to the editor by the first request that needs it
                self.engine_future.set_exception(e)

        threading.Thread(target=load, name="smallcoder-load", daemon=True).start()

    async def engine(self) -> FimEngine:
        self.start_loading()
        return await asyncio.wrap_future(self.engine_future)

    def tell(self, message: str, kind: lsp.MessageType = lsp.MessageType.Error) -> None:
        """Show a message once per distinct text (a failing model would otherwise repeat it per keystroke)."""
        if message in self._messages_shown:
            return
        self._messages_shown.add(message)
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=f"smallcoder: {message}"))

    # -- completion -----------------------------------------------------------------

    def state_at(self, uri: str, position: lsp.Position) -> tuple[EditorState, str]:
        """Editor state at ``position`` (client units converted) and the document's language id. On a line
        blank left of the cursor, the state at the line's start (lsp/items.py: the model writes the indent)."""
        doc = self.workspace.get_text_document(uri)
        pos = doc.position_codec.position_from_client_units(doc.lines, position)
        root = Path(self.workspace.root_path) if self.workspace.root_path else Path(doc.path).parent
        try:
            rel = Path(doc.path).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = Path(doc.path).name
        open_files: dict[str, str] = {}
        for other in list(self.workspace.text_documents.values()):
            if other.uri != uri:
                try:
                    open_files[Path(other.path).resolve().relative_to(root.resolve()).as_posix()] = other.source
                except ValueError:
                    open_files[Path(other.path).name] = other.source
        state = EditorState(rel, doc.source, pos.line, pos.character, root=root, open_files=open_files,
                            recent_edits=list(self.edits))
        return line_start_state(state), doc.language_id or ""

    async def suggest(self, uri: str, position: lsp.Position) -> tuple[FimResult, str] | None:
        """The newest suggestion at ``position``, or None (superseded, failed, or nothing to say)."""
        try:
            engine = await self.engine()
        except Exception as e:
            self.tell(str(e) or type(e).__name__)
            return None
        try:
            state, language = self.state_at(uri, position)
        except Exception as e:  # a document the client never opened
            self.tell(f"cannot read {uri}: {e}")
            return None

        def compute(cancel: threading.Event) -> FimResult:
            return engine.complete(state, cancel=cancel)

        try:
            result = await self.scheduler.run(compute)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.tell(str(e) or type(e).__name__)
            return None
        if result is None or result.cancelled or not result.text.strip():
            return None
        return result, language

    def placement(self, uri: str, position: lsp.Position, result: FimResult) -> Placement:
        """Where ``result`` goes on the cursor's line (lsp/items.py)."""
        lines = self.workspace.get_text_document(uri).lines
        line = lines[position.line].rstrip("\r\n") if position.line < len(lines) else ""
        return place(line, position.character, result.text)

    def record_shown(self, uri: str, position: lsp.Position, placed: Placement, result: FimResult,
                     language: str) -> int:
        """Remember the suggestion shown at ``placed`` (and count it, unless it is the rest of the last one)."""
        row = 0
        col, text = placed.added
        before = self.shown.get(uri)
        if result.from_cache and before is not None and before.text.endswith(text):
            row = before.row  # the rest of a suggestion being typed through: the same suggestion, shown once
        elif before is not None:
            self._settle(uri, before)  # a new suggestion ends the watch on the last one: what of it went in
        if not row and self.stats is not None:
            try:
                model = getattr(self.engine_future.result(), "backend", None)
                row = self.stats.shown(language=language, model=getattr(model, "name", ""), text=text,
                                       latency_ms=result.latency_ms)
            except Exception as e:  # statistics must never cost a suggestion
                log.warning("could not record a suggestion: %s", e)
        self.shown[uri] = Shown(row, position.line, col, text)
        return row

    def note_change(self, uri: str, changes: list[Any]) -> None:
        """Remember edited chunks for context, and see whether a shown suggestion was inserted."""
        try:
            doc = self.workspace.get_text_document(uri)
        except Exception:
            return
        shown = self.shown.get(uri)
        for change in changes:
            rng = getattr(change, "range", None)
            log.debug("change %s %r (shown: %s)", rng, change.text[:80], shown and (shown.line, shown.col, shown.text[:40]))
            if rng is None:
                continue
            if shown is not None:
                self._follow(uri, shown, rng, change.text)
            lines = doc.lines
            first = max(0, rng.start.line - EDIT_CONTEXT_LINES)
            chunk = "".join(lines[first:rng.start.line + change.text.count("\n") + EDIT_CONTEXT_LINES + 1])
            if chunk.strip():
                path = Path(doc.path).name
                if self.edits and self.edits[-1].path == path and abs(self.edits[-1].line - (first + 1)) < 4:
                    self.edits.pop()  # the same place edited again: keep only its latest text
                self.edits.append(Snippet(path, chunk.rstrip("\n"), first + 1, "edit"))

    def _follow(self, uri: str, shown: Shown, rng: lsp.Range, text: str) -> None:
        """After each change: the suggestion now in the document at its place = accepted (inserted at
        once, piece by piece as Vim's completion does, or as word + suggestion); an edit elsewhere with
        only its first line in place = partial; any other edit elsewhere ends the watch."""
        after = self._text_at(uri, shown)
        if after.startswith(shown.text):
            self.outcome(shown.row, "accepted", len(shown.text))
            self.shown.pop(uri, None)
            return
        if shown.line <= rng.start.line <= shown.line + shown.text.count("\n"):
            return  # still being inserted (or typed over): keep watching
        first = shown.text.split("\n", 1)[0]
        if first.strip() and after.startswith(first):
            self.outcome(shown.row, "partial", len(first))
        self.shown.pop(uri, None)

    def _text_at(self, uri: str, shown: Shown) -> str:
        """The document's text from where `shown` was offered to its end."""
        source = self.workspace.get_text_document(uri).source.split("\n")
        return "\n".join(source[shown.line:])[shown.col:] if shown.line < len(source) else ""

    def _settle(self, uri: str, shown: Shown) -> None:
        """The watch on `shown` ends: all of it at its place = accepted; at least its first line (Vim's
        menu inserts one line at a time) = partial, with the characters that went in."""
        n = len(os.path.commonprefix([self._text_at(uri, shown), shown.text]))
        first = shown.text.split("\n", 1)[0]
        if n >= len(shown.text):
            self.outcome(shown.row, "accepted", n)
        elif first.strip() and n >= len(first):
            self.outcome(shown.row, "partial", n)

    def outcome(self, row: int, outcome: str, chars: int | None = None) -> None:
        if self.stats is None or row <= 0:
            return
        try:
            self.stats.outcome(row, outcome, chars)
        except Exception as e:
            log.warning("could not record an outcome: %s", e)


def build_server(open_engine: Callable[[], FimEngine], *, debounce_s: float = 0.05,
                 stats: FimStats | None = None) -> SmallcoderServer:
    """A server ready for ``start_io()``. ``open_engine`` is called once, in a background thread."""
    server = SmallcoderServer(open_engine, debounce_s=debounce_s, stats=stats)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: SmallcoderServer, params: lsp.InitializedParams) -> None:
        ls.start_loading()

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SmallcoderServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.scheduler.supersede()  # a suggestion computed for the text before this edit must never be shown
        ls.note_change(params.text_document.uri, list(params.content_changes))

    @server.feature(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, lsp.InlineCompletionOptions())
    async def inline_completion(ls: SmallcoderServer,
                                params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList:
        try:
            return await _inline(ls, params)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # an editor gets a message, never a crashed request
            log.exception("inline completion failed")
            ls.tell(f"inline completion failed: {e}")
            return lsp.InlineCompletionList(items=[])

    async def _inline(ls: SmallcoderServer, params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList:
        found = await ls.suggest(params.text_document.uri, params.position)
        if found is None:
            return lsp.InlineCompletionList(items=[])
        result, language = found
        placed = ls.placement(params.text_document.uri, params.position, result)
        row = ls.record_shown(params.text_document.uri, params.position, placed, result, language)
        command = lsp.Command(title="accept suggestion", command=ACCEPTED, arguments=[row]) if row else None
        return lsp.InlineCompletionList(items=[inline_item(params.position, placed, command)])

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=[".", "(", " ", "\n"], resolve_provider=False))
    async def completion(ls: SmallcoderServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        try:
            return await _completion(ls, params)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.exception("completion failed")
            ls.tell(f"completion failed: {e}")
            return lsp.CompletionList(is_incomplete=True, items=[])

    async def _completion(ls: SmallcoderServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        found = await ls.suggest(params.text_document.uri, params.position)
        if found is None:
            return lsp.CompletionList(is_incomplete=True, items=[])
        result, language = found
        placed = ls.placement(params.text_document.uri, params.position, result)
        row = ls.record_shown(params.text_document.uri, params.position, placed, result, language)
        command = lsp.Command(title="accept suggestion", command=ACCEPTED, arguments=[row]) if row else None
        return lsp.CompletionList(is_incomplete=True, items=completion_items(params.position, placed, command))

    @server.command(ACCEPTED)
    def accepted(ls: SmallcoderServer, *args: Any) -> None:
        row = _first_int(args)
        ls.outcome(row, "accepted")
        for uri, shown in list(ls.shown.items()):
            if shown.row == row:
                ls.shown.pop(uri, None)

    @server.command(PARTIAL)
    def partial(ls: SmallcoderServer, *args: Any) -> None:
        ints = [a for a in _flat(args) if isinstance(a, int)]
        if ints:
            ls.outcome(ints[0], "partial", ints[1] if len(ints) > 1 else None)

    @server.feature(STATUS)
    def status(ls: SmallcoderServer, params: Any) -> dict[str, Any]:
        engine = ls.engine_future.result() if ls.engine_future.done() and not ls.engine_future.exception() else None
        return {"scheduler": asdict(ls.scheduler.counts), "ready": engine is not None,
                "model": getattr(getattr(engine, "backend", None), "name", None),
                "model_requests": engine.requests if engine else 0,
                "cache_hits": engine.cache.hits if engine else 0}

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: SmallcoderServer, params: Any) -> None:
        ls.scheduler.close()

    return server


def _flat(args: Any) -> list[Any]:
    out: list[Any] = []
    for a in args:
        out.extend(_flat(a) if isinstance(a, (list, tuple)) else [a])
    return out


def _first_int(args: Any) -> int:
    return next((a for a in _flat(args) if isinstance(a, int)), 0)
