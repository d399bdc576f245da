"""Downloading GGUF files from the Hugging Face Hub into smallcoder's model directory."""

from __future__ import annotations

from pathlib import Path

from smallcoder.errors import ModelNotFoundError

RECOMMENDED = "hf:Qwen/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M"  # what error messages suggest downloading


def download_from_hub(ref: str, models_dir: Path) -> Path:
    """REPO[:QUANT] → local path of the GGUF under `models_dir`, downloading it (with a progress bar) if needed.

    QUANT defaults to Q4_K_M; a split GGUF (`-00001-of-0000N`) is fetched whole and its first part returned.
    Raises ModelNotFoundError (one line) when the hub cannot be reached or has no matching file.
    """
    repo, _, quant = ref.partition(":")
    quant = (quant or "Q4_K_M").lower()
    try:
        import huggingface_hub

        files = huggingface_hub.list_repo_files(repo)
    except ImportError as e:
        raise ModelNotFoundError("downloading needs huggingface_hub — `pip install huggingface_hub`") from e
    except Exception as e:  # the hub client raises many network error types; all mean "cannot reach it"
        raise ModelNotFoundError(
            f"could not list {repo} on the Hugging Face Hub ({type(e).__name__}: {str(e).splitlines()[0]}) — "
            "check the name and your network, or download the GGUF yourself and pass --model PATH.gguf"
        ) from e
    ggufs = sorted(f for f in files if f.lower().endswith(".gguf") and quant in f.lower())
    if not ggufs:
        raise ModelNotFoundError(f"{repo} has no GGUF file for quantization {quant.upper()}")
    target = models_dir / repo.replace("/", "__")
    parts = [f for f in ggufs if "-of-" in f] or ggufs[:1]  # split GGUFs: fetch every part, load the first
    try:
        paths = [Path(huggingface_hub.hf_hub_download(repo, f, local_dir=target)) for f in parts]
    except Exception as e:
        raise ModelNotFoundError(f"download of {repo}/{parts[0]} failed: {e}") from e
    return paths[0]
