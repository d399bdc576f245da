"""Isolation for every test: its own smallcoder home, no user config, no model from the environment,
and a git identity, so no test reads or writes the developer's own data."""

from __future__ import annotations

from pathlib import Path

import pytest

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
}


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path_factory.mktemp("smallcoder-home")
    monkeypatch.setenv("SMALLCODER_HOME", str(root / "home"))
    monkeypatch.setenv("SMALLCODER_CONFIG", str(root / "no-config.toml"))
    monkeypatch.delenv("SMALLCODER_MODEL", raising=False)
    monkeypatch.delenv("SMALLCODER_MODELS_DIR", raising=False)
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    return root
