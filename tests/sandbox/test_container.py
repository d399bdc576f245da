"""The container fallback through the real `docker` client, against a fake engine (no daemon runs here)."""

from __future__ import annotations

import pytest

pytest.importorskip("docker", reason="the container extra is not installed: pip install 'smallcoder[container]'")

from smallcoder.sandbox import SandboxSettings, choose_isolation, open_sandbox  # noqa: E402
from smallcoder.config import Limits  # noqa: E402
from smallcoder.workspace.runner import run_command  # noqa: E402

from .fake_docker import FakeEngine  # noqa: E402


@pytest.fixture
def engine(tmp_path):
    with FakeEngine(tmp_path / "docker.sock") as fake:
        yield fake


def container_settings(url: str, **kw) -> SandboxSettings:
    return SandboxSettings(mode="container", container_engine="docker", container_image="python:3.12",
                           container_url=url, limits=Limits(memory_mb=512, processes=50, file_mb=8, tmp_mb=16), **kw)


def test_the_helper_runs_the_command_in_a_locked_down_container_and_relays_it(engine, worktree, user_repo,
                                                                             monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_0123456789abcdefghijklmnopqrstuv")
    iso = choose_isolation(container_settings(engine.url))
    assert iso.kind == "container" and "docker with image python:3.12" in iso.reason
    box = open_sandbox(iso, worktree.path, repo=user_repo, run_id="ctr1")
    res = run_command("pytest -q", worktree.path, timeout=60, wrap=box.wrap, env=box.runner_env)
    assert res.output == "hello from the container\n" and res.exit_code == 3  # relayed as the command's own

    create = engine.calls("POST", "/containers/create")[0]
    assert create["Image"] == "python:3.12" and create["Cmd"] == ["bash", "-c", "pytest -q"]
    assert create["WorkingDir"] == str(worktree.path.resolve()) and create["NetworkDisabled"] is True
    assert create["Labels"] == {"smallcoder.run": "ctr1"}
    assert not any("GITHUB_TOKEN" in e or "ghp_" in e for e in create["Env"])
    host = create["HostConfig"]
    wt = str(worktree.path.resolve())
    assert f"{wt}:{wt}:rw" in host["Binds"] and f"{wt}/.git:{wt}/.git:ro" in host["Binds"]
    git_dir = str((user_repo / ".git").resolve())
    assert f"{git_dir}:{git_dir}:ro" in host["Binds"]
    assert any(b.endswith(f":{git_dir}/config:ro") for b in host["Binds"])  # the credential-free copy
    assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"] and host["Init"] is True
    assert host["SecurityOpt"] == ["no-new-privileges"] and host["PidsLimit"] == 50
    assert host["Memory"] == 512 << 20 and host["Tmpfs"] == {"/tmp": "size=16m"}
    assert {"Name": "fsize", "Soft": 8 << 20, "Hard": 8 << 20} in host["Ulimits"]
    assert engine.requests[-1][0] == "DELETE"  # the container is removed after it ran
    rec = box.record()
    assert rec["kind"] == "container" and rec["engine"] == "docker" and rec["network"] is False
    box.close()  # removes any container left with the run's label
    assert any(p == "/containers/json" for _, p, _ in engine.requests)


def test_network_opt_in_reaches_the_container(engine, worktree, user_repo):
    box = open_sandbox(choose_isolation(container_settings(engine.url, allow_network=True)), worktree.path,
                       repo=user_repo, run_id="ctr2")
    run_command(["true"], worktree.path, timeout=60, wrap=box.wrap, env=box.runner_env)
    assert "NetworkDisabled" not in engine.calls("POST", "/containers/create")[0] or \
        engine.calls("POST", "/containers/create")[0]["NetworkDisabled"] is False


def test_auto_uses_the_container_only_when_bwrap_cannot_run(engine):
    iso = choose_isolation(SandboxSettings(container_engine="docker", container_image="python:3.12",
                                           container_url=engine.url))
    from smallcoder.sandbox.bwrap import probe

    assert iso.kind == ("bwrap" if probe().usable else "container")
