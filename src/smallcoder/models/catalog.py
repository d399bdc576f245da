"""The model catalog: typed records over `catalog.toml`, where every fact carries its source.

Loading checks the data: each fact must be `[value, "source-key"]` with the key present in the
model's `sources`; a model that says `like = "<id>"` inherits that model's facts. Lookup accepts
a catalog id, an Ollama tag, a GGUF file name or a Hugging Face repo, with an optional `:QUANT`.
"""

from __future__ import annotations

import statistics
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from smallcoder.errors import SmallcoderError

# Licences that are not plain Apache-2.0/MIT: `models recommend` flags them.
RESTRICTIVE_LICENSES = {"qwen-research": "Qwen Research licence (non-commercial)",
                        "mnpl-0.1": "Mistral AI Non-Production licence"}
DEFAULT_QUANT = "Q4_K_M"

_FACT_KEYS = ("params_total_b", "params_active_b", "moe", "experts", "experts_per_token", "layers", "heads",
              "kv_heads", "head_dim", "hidden_size", "vocab_size", "trained_context", "rope", "license", "tool_dialect", "fim_format",
              "chat_template", "ollama")
# What the memory math needs; a model missing one of these cannot be sized.
SHAPE_KEYS = ("layers", "kv_heads", "head_dim", "trained_context", "params_total_b")


class CatalogError(SmallcoderError):
    """The catalog file is malformed, or a name matches no catalogued model."""


@dataclass(frozen=True)
class Fact:
    """One catalogued value and where it comes from (a URL or a named document)."""

    value: Any
    source: str


@dataclass(frozen=True)
class RopeScaling:
    """Rope scaling that stretches a model past its trained window (llama.cpp `--rope-scaling yarn`).

    `original_context` is the window the model was trained at (llama.cpp `--yarn-orig-ctx`),
    `max_context` the longest window its authors support with this scaling, `factor` the ratio
    (llama.cpp `--rope-scale`).
    """

    type: str
    original_context: int
    max_context: int
    factor: float


@dataclass(frozen=True)
class GGUFSource:
    """One downloadable GGUF file of a model: Hugging Face repo, file, quantization, size, checksum."""

    repo: str
    file: str
    quant: str
    source: str
    size_bytes: int | None = None
    approx_size_bytes: int | None = None
    sha256: str | None = None
    revision: str | None = None

    @property
    def best_size(self) -> int | None:
        """The exact size when known, else the published approximate one (bytes)."""
        return self.size_bytes or self.approx_size_bytes


@dataclass(frozen=True)
class CatalogModel:
    """A catalogued model: its facts (each with a source) and its GGUF files."""

    id: str
    name: str
    family: str
    variant: str
    facts: dict[str, Fact]
    sources: dict[str, str]
    gguf: tuple[GGUFSource, ...] = field(default=())

    def get(self, key: str) -> Any:
        """The fact's value, or None when the catalog has no sourced value for it."""
        fact = self.facts.get(key)
        return fact.value if fact else None

    def source_of(self, key: str) -> str | None:
        """The URL or document a fact comes from."""
        fact = self.facts.get(key)
        return fact.source if fact else None

    @property
    def is_moe(self) -> bool:
        return bool(self.get("moe"))

    @property
    def rope(self) -> RopeScaling | None:
        raw = self.get("rope")
        if not raw:
            return None
        return RopeScaling(type=raw["type"], original_context=int(raw["original_context"]),
                           max_context=int(raw["max_context"]), factor=float(raw["factor"]))

    @property
    def license_warning(self) -> str | None:
        """A one-line warning for licences that restrict use, else None."""
        return RESTRICTIVE_LICENSES.get(str(self.get("license") or ""))

    @property
    def missing(self) -> list[str]:
        """Fact keys the catalog could not source for this model."""
        return [k for k in _FACT_KEYS if k not in self.facts and not (k in ("experts", "experts_per_token")
                                                                       and not self.is_moe)]

    def gguf_for(self, quant: str | None = None) -> GGUFSource | None:
        """The GGUF file for a quantization (default Q4_K_M, else the first listed)."""
        want = (quant or DEFAULT_QUANT).upper()
        for g in self.gguf:
            if g.quant.upper() == want:
                return g
        return None if quant else (self.gguf[0] if self.gguf else None)

    def names(self) -> set[str]:
        """Every name this model answers to, lower-cased."""
        out = {self.id.lower(), self.name.lower()}
        out.update(t.lower() for t in (self.get("ollama") or []))
        for g in self.gguf:
            out.update({g.repo.lower(), g.file.lower()})
        return out


@dataclass(frozen=True)
class Catalog:
    """All catalogued models, in file order."""

    models: tuple[CatalogModel, ...]

    def find(self, name: str) -> tuple[CatalogModel, str | None]:
        """Resolve `NAME[:QUANT]` to a model and the quantization asked for (None: default).

        Raises CatalogError naming close matches when nothing matches.
        """
        wanted = name.strip().lower()
        for candidate, quant in _splits(wanted):
            for m in self.models:
                if candidate in m.names():
                    return m, quant.upper() if quant else None
        close = [m.id for m in self.models if wanted.split(":")[0] in m.id]
        hint = f" — did you mean {', '.join(close[:3])}?" if close else " — `smallcoder models list --catalog` lists them"
        raise CatalogError(f"no catalogued model named {name!r}{hint}")

    def by_id(self, model_id: str) -> CatalogModel:
        for m in self.models:
            if m.id == model_id:
                return m
        raise CatalogError(f"no catalogued model with id {model_id!r}")

    def bits_per_weight(self, quant: str) -> float | None:
        """Median bits per weight of a quantization over the catalogued files with an exact size.

        Used to size a model whose file size is not catalogued; None when no file of that
        quantization has an exact size.
        """
        samples = [g.size_bytes * 8 / (float(m.get("params_total_b")) * 1e9)
                   for m in self.models for g in m.gguf
                   if g.quant.upper() == quant.upper() and g.size_bytes and m.get("params_total_b")]
        return statistics.median(samples) if samples else None


def _splits(wanted: str) -> list[tuple[str, str | None]]:
    # "qwen3-coder:30b" is an Ollama tag, "qwen2.5-coder-7b-instruct:q8_0" an id with a quant.
    out: list[tuple[str, str | None]] = [(wanted, None)]
    if ":" in wanted:
        head, _, tail = wanted.rpartition(":")
        out.append((head, tail))
    return out


def _fact(model_id: str, key: str, raw: Any, sources: dict[str, str]) -> Fact:
    if not (isinstance(raw, list) and len(raw) == 2 and isinstance(raw[1], str)):
        raise CatalogError(f"catalog: {model_id}.{key} must be [value, \"source-key\"]")
    if raw[1] not in sources:
        raise CatalogError(f"catalog: {model_id}.{key} cites {raw[1]!r}, which is not in its sources")
    return Fact(value=raw[0], source=sources[raw[1]])


def parse_catalog(data: dict[str, Any]) -> Catalog:
    """Typed records from the parsed TOML. Raises CatalogError on a fact without a source."""
    models: list[CatalogModel] = []
    by_id: dict[str, CatalogModel] = {}
    for entry in data.get("model", []):
        model_id = entry["id"]
        sources = dict(entry.get("sources", {}))
        facts: dict[str, Fact] = {}
        parent = by_id.get(entry["like"]) if "like" in entry else None
        if "like" in entry and parent is None:
            raise CatalogError(f"catalog: {model_id} is like {entry['like']!r}, which is not defined above it")
        if parent:
            facts.update({k: v for k, v in parent.facts.items() if k not in ("ollama", "fim_format")})
        for key in _FACT_KEYS:
            if key in entry:
                facts[key] = _fact(model_id, key, entry[key], sources)
        unknown = set(entry) - set(_FACT_KEYS) - {"id", "name", "family", "variant", "sources", "gguf", "like"}
        if unknown:
            raise CatalogError(f"catalog: {model_id} has unknown keys {sorted(unknown)}")
        gguf = tuple(GGUFSource(**g) for g in entry.get("gguf", []))
        model = CatalogModel(id=model_id, name=entry["name"],
                             family=entry.get("family", parent.family if parent else ""),
                             variant=entry.get("variant", "instruct"), facts=facts,
                             sources={**(parent.sources if parent else {}), **sources}, gguf=gguf)
        models.append(model)
        by_id[model_id] = model
    return Catalog(models=tuple(models))


@cache
def load_catalog() -> Catalog:
    """The bundled catalog (src/smallcoder/models/catalog.toml), parsed once."""
    text = resources.files("smallcoder.models").joinpath("catalog.toml").read_text(encoding="utf-8")
    return parse_catalog(tomllib.loads(text))
