"""Server backends inside the fix pipeline, model resolution, discovery and `smallcoder doctor`."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smallcoder.backends.discovery import Runtime, discover, pick_model
from smallcoder.backends.ollama import OllamaBackend
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.backends.specs import split_openai
from smallcoder.errors import ConfigError, ModelNotFoundError
from smallcoder.config import UserConfig
from smallcoder.backends.specs import choose_spec, open_backend
from smallcoder.paths import Home
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.store.runs import RunStore

from .ollama_fake import FakeModel, OllamaFake, Reply
from .openai_fake import OpenAIFake

IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@localhost"}


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("SMALLCODER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SMALLCODER_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("SMALLCODER_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("SMALLCODER_MODEL", raising=False)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    for k, v in IDENTITY.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
def repo(tmp_path) -> Path:
    target = tmp_path / "repo"
    with resources.as_file(resources.files("smallcoder").joinpath("examples", "mean_bug")) as src:
        shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=target, check=True, capture_output=True)
    return target


FIX_CALL = {"name": "replace_in_file", "arguments": {
    "path": "stats.py", "old": "return sum(values) / (len(values) - 1)", "new": "return sum(values) / len(values)"}}


def test_ollama_run_end_to_end_records_speed_and_endpoint(repo):
    with OllamaFake() as fake:
        fake.replies = [Reply("The divisor is off by one.", [FIX_CALL])]
        backend = OllamaBackend("qwen2.5-coder:7b", host=fake.url, memory_budget_bytes=1 << 33)
        with RunStore() as store:
            result = run_fix("mean() is wrong for [2, 4, 6]", repo, backend, FixOptions(), [store])
            record = store.get_run(result.run_id)
    assert result.status == "resolved"
    assert {r["options"]["num_ctx"] for r in fake.requests} == {backend.num_ctx} and fake.reloads == 0
    extra = record["run"]["extra"]
    assert extra["runtime"] == "ollama" and extra["endpoint"] == fake.url and extra["num_ctx"] == backend.num_ctx
    assert "remote_endpoint" not in extra
    call = record["model_calls"][0]
    assert call["ttft_s"] is not None and call["tokens_per_s"] == 11.0 and call["cache_source"] == ""


def test_a_window_too_small_for_the_task_fails_before_anything_happens(repo, tmp_path):
    backend = ScriptedBackend(outputs=[], context_window=1024)
    with pytest.raises(ConfigError, match=r"^context 1024 is too small for this task; run with --ctx (\d+) or more"):
        run_fix("mean() is wrong", repo, backend, FixOptions(), [])
    assert backend.requests == []
    assert not (tmp_path / "home" / "worktrees").exists() or not any((tmp_path / "home" / "worktrees").iterdir())


def test_the_run_record_notes_code_that_left_the_machine(repo):
    backend = ScriptedBackend(outputs=["<tool_call>\n" + json.dumps(FIX_CALL) + "\n</tool_call>"])
    backend.run_record = {"runtime": "openai", "remote_endpoint": "https://api.example.com/v1"}
    with RunStore() as store:
        result = run_fix("mean() is wrong for [2, 4, 6]", repo, backend, FixOptions(), [store])
        extra = store.get_run(result.run_id)["run"]["extra"]
    assert extra["remote_endpoint"] == "https://api.example.com/v1"


def test_specs_resolve_to_server_backends():
    with OllamaFake([FakeModel("llama3.2:3b"), FakeModel("qwen2.5-coder:1.5b")]) as fake:
        b = open_backend("ollama:qwen2.5-coder:1.5b", UserConfig(base_url=fake.url), Home.from_env())
        assert isinstance(b, OllamaBackend) and b.model == "qwen2.5-coder:1.5b"
        auto = open_backend("auto", UserConfig(base_url=fake.url), Home.from_env())
        assert auto.name == "ollama:qwen2.5-coder:1.5b"  # the coding model is preferred
        assert choose_spec(UserConfig(base_url=fake.url), Home.from_env()) == "auto"
        with pytest.raises(ModelNotFoundError, match="ollama pull llama3.2:1b"):
            open_backend("ollama:llama3.2:1b", UserConfig(base_url=fake.url), Home.from_env())
    with OpenAIFake("vllm", model="m1") as fake:
        b = open_backend(f"openai:{fake.url}/v1#m1", UserConfig(), Home.from_env())
        assert b.name == "vllm:m1"
        assert open_backend("openai:m1", UserConfig(base_url=fake.url + "/v1"), Home.from_env()).context_window == 8192
    assert split_openai("http://h:1/v1#a/b:c", None) == ("http://h:1/v1", "a/b:c")
    with pytest.raises(ConfigError, match="names no server"):
        split_openai("model-name", None)


def test_discovery_probes_runtimes():
    with OllamaFake() as ollama_fake, OpenAIFake("llama-server") as openai_fake:
        found = discover([ollama_fake.url, openai_fake.url + "/v1"], timeout=2)
    assert [(r.kind, r.models) for r in found] == [("ollama", ["qwen2.5-coder:7b"]),
                                                    ("openai", ["qwen2.5-coder-7b"])]
    assert found[1].spec() == f"openai:{openai_fake.url}/v1#qwen2.5-coder-7b"
    assert pick_model(["llama3", "deepseek-coder-v2", "qwen2.5"]) == "deepseek-coder-v2"
    assert Runtime("ollama", "u", ["a"]).spec() == "ollama:a"


def test_doctor_json_reports_windows_tools_and_fim():
    from smallcoder.cli.app import app

    with OllamaFake([FakeModel("qwen2.5-coder:7b"), FakeModel("plain:1b", capabilities=["completion"])]) as fake:
        fake.loaded["qwen2.5-coder:7b"] = 16384
        out = CliRunner().invoke(app, ["doctor", "--json", "--base-url", fake.url])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["machine"]["cpus"] and "ram_total_gib" in report["machine"]
    rt = report["runtimes"][0]
    assert rt["runtime"] == "ollama" and rt["version"] == "0.12.3"
    coder, plain = rt["models"]
    assert (coder["context_window"], coder["loaded_context"], coder["tools"], coder["fim"]) == (16384, 16384, True, True)
    assert (plain["tools"], plain["fim"], plain["trained_context"]) == (False, False, 32768)
    with OpenAIFake("llama-server", n_ctx=4096) as fake:
        out = CliRunner().invoke(app, ["doctor", "--base-url", fake.url + "/v1"])
    assert out.exit_code == 0 and "llama-server" in out.output and "4,096" in out.output


def test_cli_fix_with_an_ollama_model_and_base_url(repo):
    from smallcoder.cli.app import app

    with OllamaFake() as fake:
        fake.replies = [Reply("", [FIX_CALL])]
        out = CliRunner().invoke(app, ["fix", "mean() is wrong for [2, 4, 6]", "--repo", str(repo), "--model",
                                       "ollama:qwen2.5-coder:7b", "--base-url", fake.url, "--json", "--no-sandbox"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["status"] == "resolved"
    assert fake.requests and all("num_ctx" in r["options"] for r in fake.requests)


def test_cli_refuses_a_remote_server_without_opt_in(repo):
    from smallcoder.cli.app import app

    out = CliRunner().invoke(app, ["fix", "task", "--repo", str(repo), "--model",
                                   "openai:https://api.example.com/v1#m", "--no-sandbox"])
    # one line on stderr, exit 2, before any request leaves the machine
    assert out.exit_code == 2 and "--allow-remote" in out.stderr
