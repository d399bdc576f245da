"""YaRN past the trained window: only where the file or the catalog says the model supports it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smallcoder.errors import ConfigError
from smallcoder.models.gguf_header import header_from_metadata
from smallcoder.models.long_context import LLAMA_ROPE_SCALING_TYPE_YARN, plan_rope

MODELS = Path(os.environ.get("SMALLCODER_TEST_MODELS", Path.home() / ".cache/smallcoder-test-models"))


def qwen2(name: str, layers: int = 28, ctx: int = 32768, **extra: str) -> object:
    return header_from_metadata({"general.architecture": "qwen2", "general.name": name,
                                 "qwen2.block_count": str(layers), "qwen2.attention.head_count": "28",
                                 "qwen2.attention.head_count_kv": "4", "qwen2.embedding_length": "3584",
                                 "qwen2.context_length": str(ctx), **extra})


def test_within_the_trained_window_nothing_changes() -> None:
    plan = plan_rope(qwen2("Qwen2.5 Coder 7B Instruct"), "qwen2.5-coder-7b-instruct-q4_k_m.gguf", 32768)
    assert plan.factor is None and plan.kwargs == {} and plan.description is None


def test_a_catalogued_yarn_model_gets_the_factor_the_run_needs() -> None:
    plan = plan_rope(qwen2("Qwen2.5 Coder 7B Instruct"), "qwen2.5-coder-7b-instruct-q4_k_m.gguf", 65536)
    assert plan.factor == 2.0 and plan.kwargs == {"rope_scaling_type": LLAMA_ROPE_SCALING_TYPE_YARN,
                                                  "rope_freq_scale": 0.5, "yarn_orig_ctx": 32768}
    assert "YaRN ×2" in (plan.description or "") and "huggingface.co/Qwen" in plan.description
    by_name = plan_rope(qwen2("Qwen2.5-Coder 7B Instruct"), "my-renamed.gguf", 131072)
    assert by_name.factor == 4.0  # found by general.name, capped at the card's factor
    with pytest.raises(ConfigError, match="past the 131072"):
        plan_rope(qwen2("Qwen2.5 Coder 7B Instruct"), "qwen2.5-coder-7b-instruct-q4_k_m.gguf", 262144)


def test_a_model_without_yarn_support_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError, match="neither the file nor the catalog says it supports YaRN"):
        plan_rope(qwen2("Qwen2.5 Coder 0.5B Instruct", layers=24), "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", 65536)


def test_yarn_baked_into_the_gguf_is_left_to_llama_cpp() -> None:
    h = qwen2("Some Finetune", ctx=131072, **{"qwen2.rope.scaling.type": "yarn", "qwen2.rope.scaling.factor": "4",
                                               "qwen2.rope.scaling.original_context_length": "32768"})
    plan = plan_rope(h, "finetune.gguf", 65536)
    assert plan.factor == 4.0 and plan.kwargs == {} and "GGUF metadata" in plan.source


@pytest.mark.model
def test_embedded_backend_refuses_a_window_past_the_trained_one_and_records_its_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = MODELS / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    if not path.is_file():
        pytest.skip("test model absent")
    from smallcoder.backends.embedded import EmbeddedBackend
    from smallcoder.models.calibration import read_loads

    monkeypatch.setenv("SMALLCODER_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match="trained window of 32768"):
        EmbeddedBackend(path, n_ctx=65536)
    backend = EmbeddedBackend(path, n_ctx=4096, calibration_dir=tmp_path / "cache")
    try:
        assert backend.rope.factor is None and backend.facts.header is not None
        assert backend.facts.header.layers == 24
    finally:
        backend.close()
    (load,) = read_loads(tmp_path / "cache")
    # measured inside the test process, which holds whatever earlier tests loaded: a loose bound here;
    # benchmarks/memory measures in a fresh process (within 2.4%)
    assert load["context"] == 4096 and abs(load["predicted"] - load["measured"]) / load["measured"] < 0.25
