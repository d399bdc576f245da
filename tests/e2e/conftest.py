import os
from pathlib import Path

import pytest

MODELS = Path(os.environ.get("SMALLCODER_TEST_MODELS", Path.home() / ".cache" / "smallcoder-test-models"))
SMALL = MODELS / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


@pytest.fixture(scope="session")
def small_model_path() -> Path:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    if not SMALL.is_file():
        pytest.skip(f"{SMALL} missing: run ../shared/scripts/fetch-test-models.sh 0.5b")
    return SMALL


@pytest.fixture(scope="session")
def small_backend(small_model_path):
    from smallcoder.backends.embedded import EmbeddedBackend

    # 8k is plenty for these tests and keeps the KV allocation small on CI
    backend = EmbeddedBackend(small_model_path, n_ctx=8192, temperature=0.0)
    yield backend
    backend.close()
