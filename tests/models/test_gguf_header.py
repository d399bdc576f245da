"""The header reader on GGUFs written with the large models' real shapes, and on the real test models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smallcoder.errors import ModelNotFoundError
from smallcoder.models.catalog import load_catalog
from smallcoder.models.gguf_header import GGUFHeaderError, header_from_metadata, read_header
from smallcoder.models.memory import estimate, shape_from_catalog, shape_from_header
from tests.models.gguf_files import write_gguf

MODELS = Path(os.environ.get("SMALLCODER_TEST_MODELS", Path.home() / ".cache/smallcoder-test-models"))


def qwen3_coder_30b(tmp_path: Path) -> Path:
    # Shapes: huggingface.co/Qwen/Qwen3-Coder-30B-A3B-Instruct config.json (as catalogued).
    return write_gguf(tmp_path / "q3c.gguf", "qwen3moe", name="Qwen3-Coder-30B-A3B-Instruct", layers=48, heads=32,
                      kv_heads=4, head_dim=128, hidden=2048, context=262144, vocab=151936, experts=128,
                      experts_used=8, chat_template="<tool_call>\n<function=x>\n<parameter=y>")


def test_header_of_a_moe_model_gives_shape_experts_and_expert_bytes(tmp_path: Path) -> None:
    h = read_header(qwen3_coder_30b(tmp_path))
    assert (h.architecture, h.layers, h.heads, h.kv_heads, h.key_length, h.trained_context) == \
        ("qwen3moe", 48, 32, 4, 128, 262144)
    assert (h.experts, h.experts_used, h.file_type, h.vocab_size) == (128, 8, "Q4_K_M", 151936)
    assert h.is_moe and len(h.expert_bytes_per_layer) == 48
    assert all(b == 3 * 4096 * 2 for b in h.expert_bytes_per_layer)  # gate, up, down × 4096 f16
    assert h.tensor_bytes == 2 * 1024 * 2 + 48 * (1024 * 2 + 3 * 4096 * 2)
    assert "<function=" in (h.chat_template or "")


def test_kv_math_from_a_header_equals_the_catalog_math(tmp_path: Path) -> None:
    catalog = load_catalog()
    from_header = shape_from_header(read_header(qwen3_coder_30b(tmp_path)), "q3c.gguf")
    from_catalog = shape_from_catalog(catalog.by_id("qwen3-coder-30b-a3b-instruct"), None, catalog)
    for ctx in (2048, 32768, 262144):
        assert estimate(from_header, ctx).kv_cache == estimate(from_catalog, ctx).kv_cache
    # 48 layers × 4 KV heads × (128 + 128) × 2 bytes = 96 KiB per token
    assert estimate(from_header, 32768).kv_cache == 98304 * 32768


def test_devstral_shape_and_a_yarn_header(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "dev.gguf", "llama", name="Devstral-Small-2-24B", layers=40, heads=32, kv_heads=8,
                      head_dim=128, hidden=5120, context=393216, vocab=131072, yarn=(48.0, 8192))
    h = read_header(path)
    assert (h.rope_scaling_type, h.rope_scaling_factor, h.rope_original_context) == ("yarn", 48.0, 8192)
    shape = shape_from_header(h, "dev.gguf")
    assert (shape.trained_context, shape.yarn_max_context, shape.yarn_factor) == (8192, 393216, 48.0)
    assert estimate(shape, 32768).kv_cache == 40 * 8 * 256 * 2 * 32768  # 160 KiB per token


def test_header_cache_returns_the_same_header(tmp_path: Path) -> None:
    path = qwen3_coder_30b(tmp_path)
    first = read_header(path, tmp_path / "cache")
    assert list((tmp_path / "cache" / "gguf-headers").glob("*.json"))
    assert read_header(path, tmp_path / "cache") == first


def test_not_a_gguf_and_a_missing_file_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf at all" * 10)
    with pytest.raises(GGUFHeaderError, match="bad.gguf is not a readable GGUF"):
        read_header(bad)
    with pytest.raises(ModelNotFoundError):
        read_header(tmp_path / "absent.gguf")


def test_metadata_as_strings_from_llama_cpp() -> None:
    h = header_from_metadata({"general.architecture": "qwen2", "qwen2.block_count": "24",
                              "qwen2.attention.head_count": "14", "qwen2.attention.head_count_kv": "2",
                              "qwen2.embedding_length": "896", "qwen2.context_length": "32768",
                              "general.file_type": "15"})
    assert (h.layers, h.kv_heads, h.key_length, h.file_type) == (24, 2, 64, "Q4_K_M")


@pytest.mark.model
@pytest.mark.parametrize("size,catalog_id", [("0.5b", "qwen2.5-coder-0.5b-instruct"),
                                             ("1.5b", "qwen2.5-coder-1.5b-instruct")])
def test_real_test_models_match_the_catalog(size: str, catalog_id: str, tmp_path: Path) -> None:
    path = MODELS / f"qwen2.5-coder-{size}-instruct-q4_k_m.gguf"
    if not path.is_file():
        pytest.skip("test model absent (../shared/scripts/fetch-test-models.sh)")
    h = read_header(path, MODELS.parent / "smallcoder-test-header-cache")
    m = load_catalog().by_id(catalog_id)
    assert (h.layers, h.heads, h.kv_heads, h.key_length, h.trained_context, h.embedding_length, h.vocab_size) == \
        (m.get("layers"), m.get("heads"), m.get("kv_heads"), m.get("head_dim"), m.get("trained_context"),
         m.get("hidden_size"), m.get("vocab_size"))
    assert h.file_bytes == m.gguf_for("Q4_K_M").size_bytes
    assert "<tool_call>" in (h.chat_template or "")  # Hermes tool calls, as catalogued
