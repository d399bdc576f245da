"""The KV state of a run's fixed prompt prefix, kept on disk so no run evaluates it twice.

Every run of a session kind starts with the same system prompt and tool schemas (~1,000
tokens for the fix pipeline). The embedded engine evaluates them once, saves llama.cpp's
state of sequence 0 (its KV cache cells; `llama_state_seq_get_data`), and later runs load
it (`llama_state_seq_set_data`) instead of evaluating those tokens again.

A file is keyed by everything that makes a state valid for a load: the model file (path,
size, modification time), the context settings (n_ctx, n_batch, rope scaling), the
llama-cpp-python version (the state format may change with it) and the prefix's tokens.

File layout (version 1): MAGIC, an 8-byte little-endian header length, a JSON header
{"key", "n_tokens", "size", "sha256"}, then `size` bytes of llama.cpp state. A file that
is short, corrupt (checksum), for another key or refused by llama.cpp is ignored with a
one-line note and never breaks a run; the prompt is then evaluated as if there were none.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAGIC = b"smallcoder-kv-prefix 1\n"
MIN_PREFIX_TOKENS = 32  # shorter prefixes cost less to evaluate than a file read


@dataclass(frozen=True)
class PrefixOutcome:
    """What happened to one prefix: "loaded" (from disk), "saved" (evaluated now and written), "" (neither),
    and a one-line note for the run record (why a file was ignored or not written)."""

    action: str
    tokens: int
    note: str = ""


class PrefixStateStore:
    """Prefix states under `directory` for one loaded model (`identity`: the settings that make a state valid)."""

    def __init__(self, directory: Path, identity: dict[str, Any]) -> None:
        self.directory = directory
        self.identity = identity

    @staticmethod
    def identity_of(model_path: Path, llama_cpp_version: str, **settings: Any) -> dict[str, Any]:
        """The model file's path, size and mtime (ns), the library version, and the context settings given."""
        st = model_path.stat()
        return {"model": str(model_path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                "llama_cpp": llama_cpp_version, **settings}

    def key(self, tokens: list[int]) -> str:
        """sha256 hex of the identity and the prefix's tokens."""
        h = hashlib.sha256(json.dumps(self.identity, sort_keys=True, default=str).encode())
        h.update(struct.pack(f"<{len(tokens)}i", *tokens))
        return h.hexdigest()

    def path(self, tokens: list[int]) -> Path:
        stem = Path(str(self.identity.get("model", "model"))).stem[:40]
        return self.directory / f"{stem}-{self.key(tokens)[:32]}.kv"

    def restore(self, llm: Any, llama_cpp: Any, tokens: list[int]) -> PrefixOutcome:
        """Put the KV state of `tokens` into `llm` (a llama_cpp.Llama) from disk, or evaluate them and save it.

        Afterwards `llm` holds exactly `tokens` (n_tokens == len(tokens)), so the next generate() reuses them.
        Raises only what evaluating the tokens raises; file trouble is a note."""
        path = self.path(tokens)
        note = ""
        if path.exists():
            why = self._load(llm, llama_cpp, path, tokens)
            if not why:
                return PrefixOutcome("loaded", len(tokens))
            note = f"ignored the saved prompt state {path.name}: {why}"
        llm.reset()
        llm.eval(tokens)
        try:
            self._save(llm, llama_cpp, path, tokens)
        except OSError as e:
            return PrefixOutcome("", len(tokens), note or f"could not save the prompt state to {path}: {e}")
        return PrefixOutcome("saved", len(tokens), note)

    def _load(self, llm: Any, llama_cpp: Any, path: Path, tokens: list[int]) -> str:
        """"" when loaded, else why not (and `llm` is left empty)."""
        try:
            data = path.read_bytes()
        except OSError as e:
            return f"unreadable ({e.strerror or e})"
        header, payload, why = _split(data)
        if why:
            return why
        if header.get("key") != self.key(tokens) or header.get("n_tokens") != len(tokens):
            return "made for another model, prompt or context setting"
        if header.get("size") != len(payload) or header.get("sha256") != hashlib.sha256(payload).hexdigest():
            return "corrupt (size or checksum does not match)"
        llm.reset()
        llm._ctx.kv_cache_clear()
        buf = (ctypes.c_uint8 * len(payload)).from_buffer_copy(payload)
        if not llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buf, len(payload), 0):
            llm._ctx.kv_cache_clear()
            return "llama.cpp refused it"
        llm.input_ids[: len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        return ""

    def _save(self, llm: Any, llama_cpp: Any, path: Path, tokens: list[int]) -> None:
        size = int(llama_cpp.llama_state_seq_get_size(llm._ctx.ctx, 0))
        buf = (ctypes.c_uint8 * size)()
        written = int(llama_cpp.llama_state_seq_get_data(llm._ctx.ctx, buf, size, 0))
        payload = bytes(buf)[:written]
        header = json.dumps({"key": self.key(tokens), "n_tokens": len(tokens), "size": len(payload),
                             "sha256": hashlib.sha256(payload).hexdigest()}).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(MAGIC + struct.pack("<Q", len(header)) + header + payload)
            os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
        finally:
            tmp.unlink(missing_ok=True)


def _split(data: bytes) -> tuple[dict[str, Any], bytes, str]:
    """(header, payload, "") of a state file, or ({}, b"", why it is not one)."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 8:
        return {}, b"", "not a smallcoder prompt-state file (or another version)"
    (length,) = struct.unpack_from("<Q", data, len(MAGIC))
    start = len(MAGIC) + 8
    try:
        header = json.loads(data[start:start + length])
    except ValueError:
        return {}, b"", "corrupt header"
    if not isinstance(header, dict):
        return {}, b"", "corrupt header"
    return header, data[start + length:], ""
