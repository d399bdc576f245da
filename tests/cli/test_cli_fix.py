"""The `smallcoder` command as a user runs it: a real process, real exit codes."""

import json
import os
import subprocess
import sys

import pytest

from tests.agent.conftest import example_repo, git, isolated_home, snapshot  # noqa: F401  (fixtures)
from tests.agent.scripts import FIX_MEAN, hermes


def smallcoder(*args, env=None, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "smallcoder.cli.app", *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, input=stdin, timeout=120,
    )


@pytest.fixture
def script(tmp_path):
    def write(*outputs):
        path = tmp_path / "script.json"
        path.write_text(json.dumps(list(outputs)))
        return f"scripted:{path}"
    return write


def test_fix_json_result_and_exit_code(example_repo, script):
    before = snapshot(example_repo)
    res = smallcoder("fix", "mean() is wrong", "--repo", str(example_repo), "--model", script(FIX_MEAN), "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["status"] == "resolved" and out["success"] is True
    assert out["tests_before_passed"] is False and out["tests_after_passed"] is True
    assert out["branch"].startswith("smallcoder/") and out["commit"] and out["base_commit"]
    assert "+    return sum(values) / len(values)" in out["diff"]
    assert {"steps", "prompt_tokens", "completion_tokens", "wall_s", "run_id", "tests_command"} <= out.keys()
    assert snapshot(example_repo) == before

    listed = smallcoder("runs", "list", "--json")
    assert listed.returncode == 0
    assert json.loads(listed.stdout)[0]["id"] == out["run_id"]


def test_unresolved_run_exits_1_and_apply_is_refused(example_repo, script):
    before = snapshot(example_repo)
    res = smallcoder("fix", "mean() is wrong", "--repo", str(example_repo), "--apply",
                     "--model", script(hermes("write_file", path="notes.md", content="hm\n"),
                                       hermes("submit", summary="x"), hermes("submit", summary="y")))
    assert res.returncode == 1
    assert "not applied" in res.stdout
    assert snapshot(example_repo) == before


def test_apply_brings_the_verified_change_into_the_working_tree(example_repo, script):
    res = smallcoder("fix", "mean() is wrong", "--repo", str(example_repo), "--apply", "--model", script(FIX_MEAN))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "/ len(values)" in (example_repo / "stats.py").read_text()
    assert git(example_repo, "rev-parse", "--abbrev-ref", "HEAD").strip() in ("master", "main")


def test_task_from_stdin(example_repo, script):
    res = smallcoder("fix", "-", "--repo", str(example_repo), "--model", script(FIX_MEAN), "--json",
                     stdin="mean() is wrong for [2, 4, 6]\n")
    assert res.returncode == 0, res.stderr


def test_non_git_directory_gets_one_line_error(tmp_path, script):
    plain = tmp_path / "plain"
    plain.mkdir()
    res = smallcoder("fix", "task", "--repo", str(plain), "--model", script(FIX_MEAN))
    assert res.returncode == 2
    assert res.stderr.startswith("error:") and "git" in res.stderr and "Traceback" not in res.stderr


def test_missing_model_says_how_to_get_one(example_repo, tmp_path):
    res = smallcoder("fix", "task", "--repo", str(example_repo), env={"SMALLCODER_MODELS_DIR": str(tmp_path / "m")})
    assert res.returncode == 2
    assert "no model configured" in res.stderr and "--model" in res.stderr


def test_model_path_that_does_not_exist(example_repo, tmp_path):
    res = smallcoder("fix", "task", "--repo", str(example_repo), "--model", str(tmp_path / "x.gguf"))
    assert res.returncode == 2 and "model file not found" in res.stderr


def test_unreachable_hub_fails_clearly(example_repo):
    # a closed loopback port stands in for a hub that cannot be reached
    res = smallcoder("fix", "task", "--repo", str(example_repo), "--model", "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
                     env={"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_ETAG_TIMEOUT": "2"})
    assert res.returncode == 2
    assert "Hugging Face Hub" in res.stderr and "--model PATH.gguf" in res.stderr


def test_debug_variable_shows_the_traceback(tmp_path, script):
    plain = tmp_path / "plain"
    plain.mkdir()
    res = smallcoder("fix", "task", "--repo", str(plain), "--model", script(FIX_MEAN), env={"SMALLCODER_DEBUG": "1"})
    assert res.returncode != 0 and "Traceback" in res.stderr


def test_usage_errors_are_shown_without_traceback():
    res = smallcoder("runs", "show")
    assert res.returncode == 2 and "Missing argument" in res.stderr and "Traceback" not in res.stderr


def test_dialect_override_from_config(example_repo, script, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('dialect = "qwen3_xml"\n')
    xml = ("<tool_call>\n<function=replace_in_file>\n<parameter=path>\nstats.py\n</parameter>\n"
           "<parameter=old>\nreturn sum(values) / (len(values) - 1)\n</parameter>\n"
           "<parameter=new>\nreturn sum(values) / len(values)\n</parameter>\n</function>\n</tool_call>")
    res = smallcoder("fix", "mean() is wrong", "--repo", str(example_repo), "--model", script(xml), "--json",
                     env={"SMALLCODER_CONFIG": str(config)})
    assert res.returncode == 0, res.stderr
    config.write_text('dialect = "klingon"\n')
    res = smallcoder("fix", "x", "--repo", str(example_repo), "--model", script(xml),
                     env={"SMALLCODER_CONFIG": str(config)})
    assert res.returncode == 2 and "unknown dialect" in res.stderr
