"""`dataset check` against the real Qwen2.5-Coder GGUF: its own template passes, an altered one fails with a diff."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smallcoder.dataset.check import check_example
from smallcoder.dataset.sft import sample_conversation
from tests.dataset.conftest import MODEL_05B, needs_model

pytestmark = [pytest.mark.model, needs_model()]


@pytest.fixture(scope="module")
def backend() -> Iterator[Any]:
    from smallcoder.backends.embedded import EmbeddedBackend

    b = EmbeddedBackend(MODEL_05B, n_ctx=512, n_threads=1)
    yield b
    b.close()


def test_cli_check_passes_with_the_models_own_template(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "smallcoder.cli.app", "dataset", "check", "-m", str(MODEL_05B)],
                         capture_output=True, text=True, timeout=300,
                         env={"SMALLCODER_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "250"})
    assert res.returncode == 0, res.stdout + res.stderr
    assert "renders byte for byte" in res.stdout and "'<|im_end|>'" in res.stdout


def test_altered_template_fails_with_a_diff(backend: Any) -> None:
    template = backend.facts.chat_template
    ex = sample_conversation(template, backend.dialect)
    assert check_example(backend, template, ex.messages, ex.tools).ok
    altered = template.replace("<|im_end|>", "<|endoftext|>", 1)  # a stack that ends turns differently
    bad = check_example(backend, altered, ex.messages, ex.tools)
    assert not bad.ok and bad.compared == 2
    assert "differs at character" in bad.problems[0]
    assert "-</tool_call><|endoftext|>" in bad.problems[0] and "+</tool_call><|im_end|>" in bad.problems[0]


def test_wrong_end_of_turn_is_caught_even_when_prompts_match(backend: Any) -> None:
    template = backend.facts.chat_template
    ex = sample_conversation(template, backend.dialect)
    res = check_example(backend, template, ex.messages, ex.tools, stops=("<|endoftext|>",))
    assert not res.ok and "would not stop" in res.problems[0]


def test_sft_rows_render_as_the_agent_sends_them(tmp_path: Path, repo: Path, store_db: Path, backend: Any) -> None:
    from smallcoder.dataset.build import make_sft
    from smallcoder.dataset.template import read_gguf_template

    make_sft(repo, tmp_path / "sft", read_gguf_template(MODEL_05B), db=store_db)
    rows = [json.loads(ln) for ln in (tmp_path / "sft" / "messages.jsonl").read_text().splitlines()]
    run_row = next(r for r in rows if r["messages"][0]["role"] == "system")
    assert run_row["tools"] and run_row["tools"][0]["type"] == "function"  # Qwen's template takes tools
    template = (tmp_path / "sft" / "chat_template.jinja").read_text()
    for row in rows:
        res = check_example(backend, template, row["messages"], row.get("tools", []))
        assert res.ok, "\n".join(res.problems)
    assert check_example(backend, template, run_row["messages"], run_row["tools"]).compared == 2
    datasets = pytest.importorskip("datasets")  # as a trainer loads it: the tools column survives Arrow intact
    ds = datasets.load_dataset("json", data_files=str(tmp_path / "sft" / "messages.jsonl"), split="train")
    loaded = next(r for r in ds if r["tools"])
    assert check_example(backend, template, loaded["messages"], loaded["tools"]).ok
