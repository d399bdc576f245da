"""`models pull NAME[:QUANT]`: fetch a catalogued GGUF from the Hugging Face Hub, or have Ollama pull it.

The Hub download goes through `huggingface_hub.hf_hub_download`: a progress bar, and an
interrupted transfer resumes from its `.incomplete` file with an HTTP Range request. The file is
then hashed; it must match the catalogued SHA-256 or, when the catalog has none, the Hub's own
LFS object id (`X-Linked-Etag`, which is the file's SHA-256). A mismatch deletes the file and
says so. `HF_ENDPOINT` points the client at another hub (a mirror, or a local test server).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from smallcoder.errors import ModelNotFoundError, SmallcoderError
from smallcoder.models.catalog import Catalog, CatalogModel, GGUFSource

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PullError(SmallcoderError):
    """A download failed or was refused; the message says what to do."""


class ChecksumError(PullError):
    """The downloaded bytes are not the catalogued file."""


@dataclass(frozen=True)
class Pulled:
    """A file on disk and how it was verified."""

    path: Path
    size: int
    sha256: str
    verified_against: str  # "catalog" or "hub etag"


def sha256_file(path: Path, chunk: int = 8 << 20) -> str:
    """Hex SHA-256 of a file, read in 8 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def choose_file(model: CatalogModel, quant: str | None) -> GGUFSource:
    """The catalogued GGUF for `quant` (default Q4_K_M). Raises PullError listing what exists."""
    source = model.gguf_for(quant)
    if source is None:
        have = ", ".join(g.quant for g in model.gguf) or "none"
        tags = ", ".join(model.get("ollama") or [])
        extra = f"; or `smallcoder models pull {model.id} --ollama` ({tags})" if tags else ""
        raise PullError(f"no catalogued GGUF of {model.id} at {(quant or 'Q4_K_M').upper()} "
                        f"(catalogued: {have}){extra}")
    return source


def pull_from_hub(source: GGUFSource, models_dir: Path, endpoint: str | None = None,
                  progress: bool = True) -> Pulled:
    """Download (or resume) one GGUF into `models_dir/<owner>__<repo>/`, then verify its SHA-256.

    The bytes go to `<file>.partial`, kept when the transfer stops, so the next pull resumes
    with a Range request (huggingface_hub's own downloader deletes its partial file on failure).
    Raises PullError (one line) when no hub answers or the hub refuses, ChecksumError when the
    bytes do not match (the file is deleted).
    """
    try:
        import huggingface_hub
        from huggingface_hub.file_download import http_get
        from huggingface_hub.utils import build_hf_headers, disable_progress_bars, enable_progress_bars  # type: ignore[attr-defined]  # lazily re-exported
        from huggingface_hub.utils import tqdm as hub_tqdm  # type: ignore[attr-defined]
    except ImportError as e:
        raise PullError("pulling needs huggingface_hub — `pip install huggingface_hub`") from e
    endpoint = endpoint or os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    target = models_dir / source.repo.replace("/", "__")
    final = target / source.file
    partial = final.with_name(final.name + ".partial")
    (enable_progress_bars if progress else disable_progress_bars)()
    url = huggingface_hub.hf_hub_url(source.repo, source.file, revision=source.revision, endpoint=endpoint)
    try:
        meta = huggingface_hub.get_hf_file_metadata(url)
        expected, against = _expected_sha(source, meta.etag)
        if final.is_file() and expected and final.stat().st_size == meta.size and sha256_file(final) == expected:
            return Pulled(path=final, size=final.stat().st_size, sha256=expected, verified_against=against)
        target.mkdir(parents=True, exist_ok=True)
        done = partial.stat().st_size if partial.is_file() else 0
        if meta.size is not None and done > meta.size:  # a different file was there: start over
            partial.unlink()
            done = 0
        with partial.open("ab") as f:
            http_get(meta.location or url, f, resume_size=done, headers=build_hf_headers(),
                     expected_size=meta.size, displayed_filename=source.file,
                     tqdm_class=_shown_bar(hub_tqdm) if progress else None)
    except Exception as e:  # the client raises many transport and HTTP error types; all end the pull
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        kept = partial.stat().st_size if partial.is_file() else 0
        again = f"; {kept} bytes kept, a rerun resumes" if kept else ""
        raise PullError(f"could not download {source.repo}/{source.file} from {endpoint} "
                        f"({type(e).__name__}: {first[:160]}){again}") from e
    digest = sha256_file(partial)
    if expected is None:
        raise ChecksumError(f"{source.file}: neither the catalog nor the hub gives a SHA-256 to check it "
                            f"against (got {digest}); left unverified at {partial}")
    if digest != expected:
        partial.unlink(missing_ok=True)
        raise ChecksumError(f"{source.file} is corrupt or not the catalogued file: SHA-256 {digest[:16]}… "
                            f"≠ {expected[:16]}… (from the {against}); deleted — pull again")
    partial.replace(final)
    return Pulled(path=final, size=final.stat().st_size, sha256=digest, verified_against=against)


def _shown_bar(base: type) -> type:
    """The hub's tqdm, shown even when stderr is not a terminal (CI logs, `2>file`): tqdm hides
    bars off a TTY by default, and a multi-GB pull with no sign of life looks hung."""

    class ShownBar(base):  # type: ignore[misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs["disable"] = False
            kwargs.setdefault("mininterval", 0.5)
            super().__init__(*args, **kwargs)

    return ShownBar


def _expected_sha(source: GGUFSource, etag: str | None) -> tuple[str | None, str]:
    if source.sha256:
        return source.sha256.lower(), "catalog"
    tag = (etag or "").strip('"').lower()
    return (tag, "hub etag") if _SHA256.match(tag) else (None, "")


def pull_with_ollama(tag: str, host: str | None = None,
                     on_progress: Callable[[str, int | None, int | None], None] | None = None) -> None:
    """`ollama pull TAG` through the Ollama API (streamed status lines with completed/total bytes).

    Raises PullError when Ollama does not answer or refuses the tag.
    """
    import ollama

    client = ollama.Client(host=host or os.environ.get("OLLAMA_HOST") or "http://127.0.0.1:11434")
    try:
        for part in client.pull(tag, stream=True):
            if on_progress:
                on_progress(str(part.get("status", "")), part.get("completed"), part.get("total"))
    except ollama.ResponseError as e:
        raise PullError(f"Ollama refused to pull {tag}: {e.error}") from e
    except Exception as e:  # connection refused and friends
        raise PullError(f"Ollama is not answering at {client._client.base_url} ({type(e).__name__}) — "
                        "start it with `ollama serve`, or pull from the Hugging Face Hub instead") from e


def resolve_pull(name: str, catalog: Catalog) -> tuple[CatalogModel, str | None]:
    """`NAME[:QUANT]` → catalogued model and quantization; ModelNotFoundError for unknown names."""
    try:
        return catalog.find(name)
    except SmallcoderError as e:
        raise ModelNotFoundError(str(e)) from e
