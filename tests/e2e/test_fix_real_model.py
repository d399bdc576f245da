"""`smallcoder fix` end to end with the real 0.5B model on the bundled example bug."""

import shutil
import subprocess
from importlib import resources

import pytest

from smallcoder.agent.loop import AgentConfig
from smallcoder.backends.embedded import EmbeddedBackend
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.store.runs import RunStore

pytestmark = pytest.mark.model


def test_fixes_the_example_bug(small_model_path, tmp_path, monkeypatch):
    monkeypatch.setenv("SMALLCODER_HOME", str(tmp_path / "home"))
    repo = tmp_path / "repo"
    with resources.as_file(resources.files("smallcoder").joinpath("examples", "mean_bug")) as src:
        shutil.copytree(src, repo, ignore=shutil.ignore_patterns("__pycache__"))
    ident = ["-c", "user.name=t", "-c", "user.email=t@localhost"]
    for args in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    original = (repo / "stats.py").read_text()
    task = (repo / "TASK.md").read_text()

    # A fresh model instance: its sampler's seed then gives the same run every time on this machine.
    backend = EmbeddedBackend(small_model_path, n_ctx=8192)
    try:
        with RunStore() as store:
            result = run_fix(task, repo, backend, FixOptions(agent=AgentConfig(max_steps=8)), [store])
            recorded = store.get_run(result.run_id)
    finally:
        backend.close()

    assert (repo / "stats.py").read_text() == original  # the user's tree is untouched
    assert recorded["run"]["status"] == result.status
    assert result.model_calls >= 1 and result.usage.prompt_tokens > 0
    assert result.status == "resolved", f"{result.reason}\n{result.diff}"
    assert result.tests_after is not None and result.tests_after.passed
