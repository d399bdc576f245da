from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

from corpus import load_tools  # noqa: E402

from smallcoder.types import ToolSpec  # noqa: E402


@pytest.fixture(scope="session")
def tools() -> list[ToolSpec]:
    """The agent's default tool set, with realistic JSON schemas."""
    return load_tools()
