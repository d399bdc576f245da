"""The fixed prompt's KV state on disk (backends/prefix_state.py), with the real 0.5B model.

A warm run loads the system prompt's state instead of evaluating it, and must answer exactly as
a cold one does (greedy sampling); a damaged or foreign file is ignored with a note."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from smallcoder.types import Message

from .conftest import SMALL

pytestmark = pytest.mark.model

# Kept short so the test is (the real fixed prompt, ~1,000 tokens, is what benchmarks/ttft.py measures).
SYSTEM = "You are a careful coding assistant. You fix bugs in Python code and answer with code only. " * 3
MSGS = [Message("system", SYSTEM),
        Message("user", "mean() in stats.py divides by len(values) - 1; mean([2, 4, 6]) should be 4.")]


def open_backend(prefix_dir: Path | None):
    pytest.importorskip("llama_cpp")
    if not SMALL.is_file():
        pytest.skip(f"{SMALL} missing")
    from smallcoder.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(SMALL, n_ctx=2048, n_threads=1, temperature=0.0, prefix_dir=prefix_dir)


def test_cold_saves_warm_loads_and_answers_the_same(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import llama_cpp

    states = tmp_path / "kv-prefix"
    cold_backend = open_backend(states)
    try:
        cold = cold_backend.complete(MSGS, [], max_tokens=10)
        assert cold_backend.run_record["prompt_state"].startswith("saved ") and cold.usage.cached_tokens == 0
    finally:
        cold_backend.close()
    files = list(states.glob("*.kv"))
    assert len(files) == 1

    b = open_backend(states)  # a new process's run, as far as llama.cpp knows
    try:
        warm = b.complete(MSGS, [], max_tokens=10)
        n = int(b.run_record["prompt_state"].split()[1])
        assert b.run_record["prompt_state"].startswith("loaded ") and warm.usage.cached_tokens == n > 32
        assert warm.text == cold.text  # the loaded state is the evaluated one
        prefix = b._tokens(b.render(MSGS, []))[:n]
        assert b.prefix_states is not None

        files[0].write_bytes(files[0].read_bytes()[:-100])  # cut short: the checksum no longer matches
        b.llm.reset()
        again = b.complete(MSGS, [], max_tokens=10)  # evaluated again, file rewritten, a one-line note
        assert again.text == cold.text and b.run_record["prompt_state"].startswith("saved ")
        assert "corrupt" in b.run_record["prompt_state_note"] and "corrupt" in capfd.readouterr().err

        files[0].write_bytes(b"not a state file at all")
        outcome = b.prefix_states.restore(b.llm, llama_cpp, prefix)
        assert outcome.action == "saved" and "not a smallcoder prompt-state file" in outcome.note
        assert b.llm.n_tokens == n

        other = prefix[:-1]  # another prefix's name, this prefix's file: refused by its key
        shutil.copy(files[0], b.prefix_states.path(other))
        outcome = b.prefix_states.restore(b.llm, llama_cpp, other)
        assert outcome.action == "saved" and "another model, prompt or context" in outcome.note
        assert b.prefix_states.restore(b.llm, llama_cpp, prefix).action == "loaded"
    finally:
        b.close()
