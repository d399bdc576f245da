"""The bundled catalog: every fact sourced, lookups, licences, and refusal of unsourced facts."""

from __future__ import annotations

import tomllib

import pytest

from smallcoder.models.catalog import CatalogError, load_catalog, parse_catalog

REQUIRED = {"qwen2.5-coder-0.5b-instruct", "qwen2.5-coder-1.5b-instruct", "qwen2.5-coder-3b-instruct",
            "qwen2.5-coder-7b-instruct", "qwen2.5-coder-14b-instruct", "qwen2.5-coder-32b-instruct",
            "qwen3-coder-30b-a3b-instruct", "qwen3-coder-480b-a35b-instruct", "devstral-small-2-24b-instruct",
            "codestral-22b"}


def test_the_issue_s_models_are_catalogued_and_every_fact_has_a_source() -> None:
    catalog = load_catalog()
    assert REQUIRED <= {m.id for m in catalog.models}
    assert any(m.variant == "base" for m in catalog.models)  # base models, for FIM
    for m in catalog.models:
        for key, fact in m.facts.items():
            assert fact.source.strip(), f"{m.id}.{key} has no source"
        for g in m.gguf:
            assert g.source.strip() and (g.sha256 is None or len(g.sha256) == 64)


def test_moe_models_carry_experts_and_active_parameters() -> None:
    m = load_catalog().by_id("qwen3-coder-30b-a3b-instruct")
    assert m.is_moe and (m.get("experts"), m.get("experts_per_token")) == (128, 8)
    assert m.get("params_active_b") < m.get("params_total_b")
    assert m.rope is not None and m.rope.max_context == 1048576 and m.rope.factor == 4.0


def test_lookup_by_ollama_tag_file_repo_and_quant() -> None:
    catalog = load_catalog()
    assert catalog.find("qwen3-coder:30b")[0].id == "qwen3-coder-30b-a3b-instruct"
    assert catalog.find("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")[0].id == "qwen2.5-coder-0.5b-instruct"
    model, quant = catalog.find("qwen2.5-coder-1.5b-instruct:q8_0")
    assert (model.id, quant, model.gguf_for(quant).quant) == ("qwen2.5-coder-1.5b-instruct", "Q8_0", "Q8_0")
    with pytest.raises(CatalogError, match="did you mean"):
        catalog.find("qwen2.5-coder")


def test_non_apache_licences_are_flagged() -> None:
    catalog = load_catalog()
    assert "Non-Production" in (catalog.by_id("codestral-22b").license_warning or "")
    assert "Research" in (catalog.by_id("qwen2.5-coder-3b-instruct").license_warning or "")
    assert catalog.by_id("devstral-small-2-24b-instruct").license_warning is None


def test_missing_facts_are_listed_not_invented() -> None:
    devstral = load_catalog().by_id("devstral-small-2-24b-instruct")
    assert "rope" in devstral.missing and devstral.get("rope") is None


def test_a_fact_without_a_known_source_is_refused() -> None:
    data = tomllib.loads('[[model]]\nid = "x"\nname = "X"\nsources.card = "https://example"\nlayers = [3, "config"]\n')
    with pytest.raises(CatalogError, match="x.layers cites 'config'"):
        parse_catalog(data)
    with pytest.raises(CatalogError, match="must be \\[value"):
        parse_catalog(tomllib.loads('[[model]]\nid = "x"\nname = "X"\nlayers = 3\n'))


def test_catalogued_q4_k_m_sizes_give_a_plausible_bits_per_weight() -> None:
    bpw = load_catalog().bits_per_weight("Q4_K_M")
    assert bpw is not None and 4.5 < bpw < 6.5  # Q4_K_M mixes 4- and 6-bit blocks
