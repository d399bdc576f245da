"""Facts read from a GGUF file itself: architecture, shape, context, experts, quantization, chat template.

Two entry points share one interpretation of the metadata keys (GGUF spec,
https://github.com/ggml-org/ggml/blob/master/docs/gguf.md, keys `{arch}.block_count`,
`{arch}.attention.head_count_kv`, `{arch}.expert_count`, `{arch}.rope.scaling.*`, …):

- `read_header(path)` parses the file with the `gguf` package (metadata and tensor table, so
  weight bytes are exact, expert tensors included). The package walks every tokenizer string,
  which takes seconds on a 150k-token vocabulary, so results are cached per (path, size, mtime).
- `header_from_metadata(meta)` reads a metadata dict another reader already holds (llama.cpp's
  `Llama.metadata`, Ollama's `model_info`), without tensor sizes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from smallcoder.errors import ModelNotFoundError, SmallcoderError


class GGUFHeaderError(SmallcoderError):
    """The file is not a readable GGUF."""


@dataclass(frozen=True)
class GGUFHeader:
    """What a GGUF file says about its model. Sizes in bytes, context in tokens.

    `expert_bytes_per_layer[i]` is the size of block i's routed-expert tensors (`ffn_*_exps`),
    the part llama.cpp's `--n-cpu-moe` keeps in system memory; empty for dense models.
    """

    architecture: str
    name: str
    layers: int
    heads: int
    kv_heads: int
    key_length: int
    value_length: int
    embedding_length: int
    trained_context: int
    feed_forward_length: int | None = None
    chat_template: str | None = None
    file_type: str | None = None
    experts: int | None = None
    experts_used: int | None = None
    vocab_size: int | None = None
    rope_scaling_type: str | None = None
    rope_scaling_factor: float | None = None
    rope_original_context: int | None = None
    sliding_window: int | None = None
    tensor_bytes: int | None = None
    output_bytes: int | None = None
    expert_bytes_per_layer: tuple[int, ...] = field(default=())
    file_bytes: int | None = None

    @property
    def is_moe(self) -> bool:
        return bool(self.experts and self.experts > 1)

    @property
    def head_dim(self) -> int:
        return self.key_length

    def kv_bytes_per_token(self, bytes_per_element: float = 2.0) -> int:
        """K and V over all layers for one token: layers × KV heads × (key + value length) × bytes."""
        return int(self.layers * self.kv_heads * (self.key_length + self.value_length) * bytes_per_element)


def _num(meta: Mapping[str, Any], key: str) -> float | None:
    value = meta.get(key)
    if value is None or isinstance(value, (list, tuple)):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def header_from_metadata(meta: Mapping[str, Any], **sizes: Any) -> GGUFHeader:
    """Interpret GGUF metadata (values as numbers or strings). Extra keyword args set the size fields.

    Missing shape keys fall back to llama.cpp's own defaults for a key it cannot find: head
    count KV = head count, key length = embedding length / head count.
    """
    arch = str(meta.get("general.architecture") or "unknown")

    def num(key: str, default: float | None = None) -> float | None:
        value = _num(meta, f"{arch}.{key}")
        return default if value is None else value

    heads = int(num("attention.head_count", 0) or 0)
    embedding = int(num("embedding_length", 0) or 0)
    key_length = int(num("attention.key_length", embedding // heads if heads else 0) or 0)
    experts = num("expert_count")
    file_type = _file_type_name(_num(meta, "general.file_type"))
    return GGUFHeader(
        architecture=arch,
        name=str(meta.get("general.name") or ""),
        layers=int(num("block_count", 0) or 0),
        heads=heads,
        kv_heads=int(num("attention.head_count_kv", heads) or heads),
        key_length=key_length,
        value_length=int(num("attention.value_length", key_length) or key_length),
        embedding_length=embedding,
        trained_context=int(num("context_length", 0) or 0),
        feed_forward_length=int(num("feed_forward_length", 0) or 0) or None,
        chat_template=(str(meta["tokenizer.chat_template"]) if meta.get("tokenizer.chat_template") else None),
        file_type=file_type,
        experts=int(experts) if experts else None,
        experts_used=int(num("expert_used_count", 0) or 0) or None,
        vocab_size=int(num("vocab_size", 0) or 0) or None,
        rope_scaling_type=str(meta.get(f"{arch}.rope.scaling.type")) if meta.get(f"{arch}.rope.scaling.type") else None,
        rope_scaling_factor=num("rope.scaling.factor"),
        rope_original_context=int(num("rope.scaling.original_context_length", 0) or 0) or None,
        sliding_window=int(num("attention.sliding_window", 0) or 0) or None,
        **sizes,
    )


def _file_type_name(value: float | None) -> str | None:
    if value is None:
        return None
    try:
        from gguf import LlamaFileType

        return LlamaFileType(int(value)).name.removeprefix("MOSTLY_")
    except (ImportError, ValueError):
        return None


_EXPERT_TENSOR = re.compile(r"^blk\.(\d+)\.ffn_(?:gate|up|down|gate_up)_exps\.")
_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$")


def _scan(path: Path) -> tuple[dict[str, Any], int, int, dict[int, int]]:
    """Metadata scalars, total tensor bytes, output-layer bytes and expert bytes per block of one file."""
    try:
        import gguf
    except ImportError as e:
        raise GGUFHeaderError("reading GGUF headers needs the gguf package — `pip install 'smallcoder[models]'`") from e
    try:
        reader = gguf.GGUFReader(path, "r")
    except (ValueError, OSError, IndexError) as e:
        raise GGUFHeaderError(f"{path.name} is not a readable GGUF file: {e}") from e
    meta: dict[str, Any] = {}
    for key, fld in reader.fields.items():
        if not fld.types or fld.types[0] == gguf.GGUFValueType.ARRAY:
            if key == "tokenizer.ggml.tokens":
                meta["_vocab_size"] = len(fld.data)
            continue
        try:
            meta[key] = fld.contents()
        except (ValueError, IndexError, UnicodeDecodeError):
            continue
    total = output = 0
    experts: dict[int, int] = {}
    for t in reader.tensors:
        n = int(t.n_bytes)
        total += n
        if t.name.startswith("output."):
            output += n
        m = _EXPERT_TENSOR.match(t.name)
        if m:
            experts[int(m.group(1))] = experts.get(int(m.group(1)), 0) + n
    return meta, total, output, experts


def read_header(path: Path, cache_dir: Path | None = None) -> GGUFHeader:
    """The header of a local GGUF file (all parts of a split file), cached under `cache_dir` if given.

    Raises ModelNotFoundError when the file is missing, GGUFHeaderError when it is not a GGUF.
    """
    if not path.is_file():
        raise ModelNotFoundError(f"model file not found: {path}")
    stat = path.stat()
    cache_file = None
    if cache_dir is not None:
        key = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:20]
        cache_file = cache_dir / "gguf-headers" / f"{key}.json"
        if cache_file.is_file():
            try:
                data = json.loads(cache_file.read_text(encoding="utf-8"))
                data["expert_bytes_per_layer"] = tuple(data["expert_bytes_per_layer"])
                return GGUFHeader(**data)
            except (ValueError, TypeError, KeyError):
                pass  # an unreadable cache entry is rebuilt below
    parts = _split_parts(path)
    meta, total, output, experts = _scan(parts[0])
    file_bytes = stat.st_size if len(parts) == 1 else sum(p.stat().st_size for p in parts)
    for extra in parts[1:]:
        _, t, o, e = _scan(extra)
        total, output = total + t, output + o
        for k, v in e.items():
            experts[k] = experts.get(k, 0) + v
    per_layer = tuple(experts.get(i, 0) for i in range(max(experts) + 1)) if experts else ()
    header = header_from_metadata(meta, tensor_bytes=total, output_bytes=output,
                                  expert_bytes_per_layer=per_layer, file_bytes=file_bytes)
    if header.vocab_size is None and meta.get("_vocab_size"):
        header = GGUFHeader(**{**asdict(header), "vocab_size": int(meta["_vocab_size"]),
                               "expert_bytes_per_layer": per_layer})
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache_file.write_text(json.dumps(asdict(header)), encoding="utf-8")
    return header


def _split_parts(path: Path) -> list[Path]:
    """All parts of a split GGUF (`name-00001-of-00003.gguf`), first part first; [path] otherwise."""
    m = _SPLIT.search(path.name)
    if not m:
        return [path]
    count = int(m.group(2))
    stem = path.name[: m.start()]
    parts = [path.with_name(f"{stem}-{i:05d}-of-{count:05d}.gguf") for i in range(1, count + 1)]
    missing = [p.name for p in parts if not p.is_file()]
    if missing:
        raise GGUFHeaderError(f"split GGUF incomplete: {', '.join(missing)} missing next to {path.name}")
    return parts
