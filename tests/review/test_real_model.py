"""`smallcoder review --diff HEAD~1` with the real 0.5B model: the model's own output is read (no
unparsable turn), and whatever it reports has passed the checks (on changed lines, real quotes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MODEL = Path.home() / ".cache" / "smallcoder-test-models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
SMALLCODER = str(Path(sys.executable).parent / "smallcoder")

pytestmark = [pytest.mark.model,
              pytest.mark.skipif(not MODEL.is_file(), reason=f"test model not downloaded: {MODEL}")]


def test_review_of_a_real_change_with_the_real_model(repo: Path) -> None:
    out = subprocess.run([SMALLCODER, "review", "--diff", "HEAD~1", "--repo", str(repo), "--model", str(MODEL),
                          "--ctx", "4096", "--format", "json"], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["summary"].startswith("smallcoder review:")
    for f in report["findings"]:  # only what passed the checks: the change's lines, stats.py
        assert f["path"] == "stats.py" and 14 <= f["start_line"] <= 15
