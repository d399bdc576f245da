"""With no model, the completion commands (`smallcoder lsp`, `smallcoder complete`) suggest one made for
fill-in-the-middle on this machine, from the catalog and the memory math, not the agent's 7B default."""

from __future__ import annotations

import pytest

from smallcoder.config import UserConfig
from smallcoder.errors import ModelNotFoundError
from smallcoder.fim import setup
from smallcoder.fim.setup import fim_model_pick, open_engine
from smallcoder.models.hardware import GIB, Hardware
from smallcoder.paths import Home

SMALLEST = "hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF:Q4_K_M"


def machine(ram_gib: float) -> Hardware:
    """A laptop without a GPU, with ``ram_gib`` free."""
    return Hardware(platform="Linux x86_64", cpu="laptop", cores=4, threads=8, cpu_flags=("avx2",),
                    ram_total=16 * GIB, ram_available=int(ram_gib * GIB))


def test_a_laptop_gets_the_smallest_fim_model_that_fits():
    pick = fim_model_pick(machine(6))
    assert pick is not None and pick.spec == SMALLEST and pick.fits is True
    assert "fits this machine" in pick.describe() and "7B" not in pick.describe()


def test_a_machine_too_full_for_any_still_gets_the_smallest_with_why():
    pick = fim_model_pick(machine(1))
    assert pick is not None and pick.spec == SMALLEST and pick.fits is False
    assert "less memory is free" in pick.describe()


@pytest.fixture
def laptop(monkeypatch):
    monkeypatch.setattr(setup, "detect_hardware", lambda: machine(6))
    monkeypatch.setattr("smallcoder.backends.discovery.discover_spec", lambda base_url=None: None)


def test_no_model_configured_suggests_a_completion_model_in_one_line(tmp_path, laptop):
    with pytest.raises(ModelNotFoundError) as e:
        open_engine(UserConfig(), Home(tmp_path))
    message = str(e.value)
    assert message.startswith("no model configured") and "\n" not in message
    assert f"`--model {SMALLEST}`" in message and "7B" not in message


def test_missing_model_file_suggests_a_completion_model(tmp_path, laptop):
    with pytest.raises(ModelNotFoundError) as e:
        open_engine(UserConfig(model=str(tmp_path / "gone.gguf")), Home(tmp_path))
    message = str(e.value)
    assert message.startswith("model file not found") and "\n" not in message
    assert SMALLEST in message and "7B" not in message
