"""`dataset check` against the real Qwen2.5-Coder GGUF: its own template passes, an altered one fails with a diff."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dataset.conftest import MODEL_05B, needs_model

pytestmark = [pytest.mark.model, needs_model()]


def _check(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "smallcoder.cli.app", "dataset", "check", "-m", str(MODEL_05B), *args],
                          capture_output=True, text=True, timeout=300, env={"SMALLCODER_HOME": str(home),
                                                                            "PATH": "/usr/bin:/bin", "COLUMNS": "250"})


def test_check_passes_with_the_models_template_and_fails_with_a_diff_when_altered(tmp_path: Path) -> None:
    from smallcoder.dataset.template import read_gguf_template

    ok = _check(home=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "renders byte for byte" in ok.stdout and "'<|im_end|>'" in ok.stdout
    altered = tmp_path / "altered.jinja"  # a training stack that ends turns with <|endoftext|> instead
    altered.write_text(read_gguf_template(MODEL_05B).template.replace("<|im_end|>", "<|endoftext|>", 1))
    bad = _check("--template", str(altered), home=tmp_path)
    assert bad.returncode == 1
    assert "MISMATCH" in bad.stdout and "differs at character" in bad.stdout
    assert "-</tool_call><|endoftext|>" in bad.stdout and "+</tool_call><|im_end|>" in bad.stdout


def test_sft_rows_render_as_the_agent_sends_them(tmp_path: Path, repo: Path, store_db: Path) -> None:
    from smallcoder.dataset.build import make_sft
    from smallcoder.dataset.template import read_gguf_template

    make_sft(repo, tmp_path / "sft", read_gguf_template(MODEL_05B), db=store_db)
    run_row = next(r for r in map(json.loads, (tmp_path / "sft" / "messages.jsonl").read_text().splitlines())
                   if r["messages"][0]["role"] == "system")
    assert run_row["tools"] and run_row["tools"][0]["type"] == "function"  # Qwen's template takes tools
    res = _check("--data", str(tmp_path / "sft" / "messages.jsonl"), home=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "example 2: 2 prompt(s) compared — match" in res.stdout or "example 1: 2 prompt(s)" in res.stdout
