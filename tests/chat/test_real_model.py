"""One chat with the real 0.5B model in a real terminal: a question about the code gets an answer, and the
turn is recorded with the model's own token counts."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from smallcoder.paths import Home

from .tmux import SMALLCODER, Terminal

MODEL = Path.home() / ".cache" / "smallcoder-test-models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not MODEL.is_file(), reason=f"test model not downloaded: {MODEL}"),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


@pytest.fixture
def terminal(repo: Path, tmp_path: Path) -> Iterator[Terminal]:
    home = tmp_path / "userhome"
    home.mkdir()
    env = {"SMALLCODER_HOME": os.environ["SMALLCODER_HOME"], "SMALLCODER_CONFIG": os.environ["SMALLCODER_CONFIG"],
           "HOME": str(home), "PATH": os.environ["PATH"], "TERM": "xterm-256color", "LANG": "C.UTF-8",
           **{k: v for k, v in os.environ.items() if k.startswith("GIT_") or k == "PYTHONPATH"}}
    t = Terminal([SMALLCODER, "chat", "--model", str(MODEL), "--ctx", "4096", "--max-steps", "4", "--mode", "plan"],
                 env, repo)
    yield t
    t.close()


def test_a_question_about_the_code_with_the_real_model(terminal: Terminal) -> None:
    terminal.prompt_ready(1, timeout=120)
    terminal.type("What does the function mean() in stats.py compute? Answer in one sentence.")
    terminal.prompt_ready(2, timeout=300)
    terminal.type("/context")
    screen = terminal.wait_for("total")
    assert "of 4,096" in screen
    terminal.type("/quit")
    terminal.wait_for("EXITED 0", timeout=60)
    db = sqlite3.connect(Home.from_env().db)
    calls = db.execute("SELECT prompt_tokens, completion_tokens, text FROM model_calls").fetchall()
    assert calls and all(prompt > 0 and done > 0 for prompt, done, _ in calls)
    last_text = calls[-1][2].strip()
    assert last_text and last_text.splitlines()[0][:30] in terminal.screen()  # the answer was shown
