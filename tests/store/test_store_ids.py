from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from smallcoder.store import RunStore, new_run_id


def test_shape() -> None:
    run_id = new_run_id()
    assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{12}", run_id)


def test_sortable_by_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from smallcoder.store import ids as ids_module

    monkeypatch.setattr(ids_module, "_last", (-1, 0))  # forget ids made by earlier tests
    ids = [new_run_id(now=1_700_000_000 + i * 0.5) for i in range(50)]
    assert ids == sorted(ids)
    assert ids[0][:8] < ids[1][:8]  # the time part itself moves on, not just the counter


def test_unique_in_a_burst(store: RunStore) -> None:
    ids = [new_run_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # strictly increasing within a process, even inside one 10 ms slot
    assert store.new_run_id() != store.new_run_id()


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_safe_in_git_branch_name() -> None:
    run_id = new_run_id()
    subprocess.run(["git", "check-ref-format", "--branch", f"smallcoder/{run_id}"], check=True, capture_output=True)
