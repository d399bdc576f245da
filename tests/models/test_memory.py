"""Memory math against llama.cpp's own buffer figures, and the per-device placement rules."""

from __future__ import annotations

import pytest

from smallcoder.models.advisor import recommend, table_verdict
from smallcoder.models.catalog import load_catalog
from smallcoder.models.hardware import GIB, GPU, Hardware
from smallcoder.models.memory import MIB, ModelShape, SizingError, estimate, largest_context, shape_from_catalog
from smallcoder.models.placement import largest_fitting_context, plan

# Qwen2.5-Coder-0.5B-Instruct Q4_K_M, as its GGUF header gives it.
QWEN05 = ModelShape(name="qwen0.5b", layers=24, heads=14, kv_heads=2, key_length=64, value_length=64, hidden=896,
                    vocab=151936, trained_context=32768, weight_bytes=485452288, weights_source="test", ffn=4864)
QWEN15 = ModelShape(name="qwen1.5b", layers=28, heads=12, kv_heads=2, key_length=128, value_length=128, hidden=1536,
                    vocab=151936, trained_context=32768, weight_bytes=1111370240, weights_source="test", ffn=8960)

# Buffers llama.cpp (llama-cpp-python 0.3.36, CPU, n_ubatch 512) printed when loading the real files
# on this project's machine: (context, flash attention) -> (KV MiB, compute MiB).
REPORTED = [
    (QWEN05, 2048, False, 24.00, 300.25), (QWEN05, 8192, False, 96.00, 302.00),
    (QWEN05, 32768, False, 384.00, 969.26), (QWEN05, 32768, True, 384.00, 300.25),
    (QWEN15, 2048, False, 56.00, 302.75), (QWEN15, 8192, False, 224.00, 305.75),
    (QWEN15, 32768, False, 896.00, 848.01), (QWEN15, 32768, True, 896.00, 302.75),
]


@pytest.mark.parametrize("shape,ctx,fa,kv_mib,compute_mib", REPORTED)
def test_kv_exact_and_compute_within_3_percent_of_llama_cpp(shape: ModelShape, ctx: int, fa: bool, kv_mib: float,
                                                            compute_mib: float) -> None:
    b = estimate(shape, ctx, flash_attention=fa)
    assert b.kv_cache == kv_mib * MIB
    assert abs(b.compute / MIB - compute_mib) / compute_mib < 0.03


def test_quantized_kv_only_counts_with_flash_attention() -> None:
    f16 = estimate(QWEN15, 32768).kv_cache
    with_fa = estimate(QWEN15, 32768, kv_type="q8_0", flash_attention=True)
    without = estimate(QWEN15, 32768, kv_type="q8_0", flash_attention=False)
    assert with_fa.kv_cache == f16 * 34 // 64  # q8_0: 34 bytes per 32 values, for K and V
    assert f16 > without.kv_cache > with_fa.kv_cache  # V stays f16 without flash attention
    assert any("flash attention" in n for n in without.notes)
    with pytest.raises(SizingError):
        estimate(QWEN15, 2048, kv_type="q3_x")


def test_the_context_used_not_the_model_maximum() -> None:
    assert estimate(QWEN15, 4096).total < estimate(QWEN15, 32768).total
    budget = estimate(QWEN15, 16384).total
    assert largest_context(QWEN15, budget) == 16384


def rig(gpus: tuple[GPU, ...], ram: float, bw: float | None = 50e9) -> Hardware:
    return Hardware(platform="Linux x86_64", cpu="test", cores=8, threads=16, cpu_flags=("avx2",),
                    ram_total=int(ram * GIB), ram_available=int(ram * GIB * 0.9), gpus=gpus, cpu_bandwidth=bw)


RTX4090 = GPU(0, "RTX 4090", 24 * GIB, int(23.5 * GIB), 1.008e12)
RTX3060 = GPU(0, "RTX 3060", 12 * GIB, int(11.5 * GIB), 360e9)


def catalog_shape(model_id: str) -> ModelShape:
    catalog = load_catalog()
    return shape_from_catalog(catalog.by_id(model_id), None, catalog)


def test_devstral_at_32k_fits_one_24gb_gpu_but_not_two_12gb_gpus_summed() -> None:
    devstral = catalog_shape("devstral-small-2-24b-instruct")
    one = plan(devstral, rig((RTX4090,), 64), 32768, flash_attention=True)
    assert one.mode == "gpu" and one.llama_args[:4] == ("-c", "32768", "-ngl", "99")
    two = plan(devstral, rig((RTX3060, GPU(1, "RTX 3060", 12 * GIB, int(11.5 * GIB), 360e9)), 64), 32768,
               flash_attention=True)
    assert two.mode == "partial-offload" and two.gpu_bytes <= two.gpu_budget  # one device's budget, never 23 GiB


def test_qwen3_coder_moe_offloads_experts_to_ram_on_a_12gb_gpu() -> None:
    q3 = catalog_shape("qwen3-coder-30b-a3b-instruct")
    p = plan(q3, rig((RTX3060,), 32), 32768, flash_attention=True)
    assert p.mode == "moe-offload" and 0 < p.cpu_moe_layers < 48
    assert "--n-cpu-moe" in p.llama_args and p.gpu_bytes <= p.gpu_budget
    dense = plan(catalog_shape("qwen2.5-coder-32b-instruct"), rig((RTX3060,), 32), 32768, flash_attention=True)
    assert p.tokens_per_s and dense.tokens_per_s and p.tokens_per_s > 3 * dense.tokens_per_s  # 3.3B active


def test_long_context_past_the_trained_window_adds_yarn_to_the_server_command() -> None:
    q7 = catalog_shape("qwen2.5-coder-7b-instruct")
    p = plan(q7, rig((RTX4090,), 64), 65536, flash_attention=True)
    assert p.fits and ("--rope-scaling", "yarn") == p.llama_args[p.llama_args.index("--rope-scaling"):][:2]
    assert "--yarn-orig-ctx" in p.llama_args and any("YaRN" in n for n in p.notes)
    assert largest_fitting_context(catalog_shape("qwen2.5-coder-1.5b-instruct"), rig((RTX4090,), 64)) == 32768


def test_recommend_agent_on_a_24gb_gpu_holds_the_table_and_edge_on_a_small_laptop() -> None:
    catalog = load_catalog()
    recs = recommend("agent", rig((RTX4090,), 64), catalog)
    assert recs[0].ok and recs[0].model.id == "devstral-small-2-24b-instruct"
    assert "holds" in table_verdict(recs)
    small = recommend("agent", rig((), 8, bw=20e9), catalog)
    assert not small[-1].ok and "does not hold" in table_verdict(small)
    best = next(r for r in small if r.ok)
    assert best.model.family == "qwen2.5-coder"
    edge = recommend("edge", rig((), 4, bw=20e9), catalog)
    assert any(r.ok for r in edge) and all(r.model.family == "qwen2.5-coder" for r in edge)


def test_when_nothing_reaches_the_speed_wanted_the_fastest_fitting_model_is_named() -> None:
    recs = recommend("agent", rig((), 16, bw=2e9), load_catalog())
    assert recs[0].ok and recs[0].model.id == "qwen2.5-coder-0.5b-instruct"
    assert "nothing in the table reaches the speed wanted" in table_verdict(recs)


def test_a_context_past_what_the_model_supports_has_no_placement() -> None:
    p = plan(QWEN15, rig((RTX4090,), 64), 65536)
    assert not p.fits and any("past the model's supported 32768" in n for n in p.notes)
