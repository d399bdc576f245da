"""Choosing the isolation, explaining it, and reading the settings — on this machine, as it is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smallcoder.errors import ConfigError
from smallcoder.sandbox import SandboxSettings, SandboxUnavailable, choose_isolation, describe_isolation, open_sandbox
from smallcoder.sandbox.container import check, container_env, run_spec
from smallcoder.sandbox.limits import limits_prefix
from smallcoder.config import Limits, load_config
from smallcoder.workspace.runner import run_command

from .conftest import TEST_LIMITS, needs_bwrap, settings


def _without_bwrap(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run Python code in a process whose PATH has git and the usual tools but no bwrap (a machine without it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git", "env", "sh", "bash", "prlimit"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    env = {**os.environ, "PATH": str(bin_dir)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


@needs_bwrap
def test_auto_picks_bwrap_here():
    iso = choose_isolation(SandboxSettings())
    assert iso.kind == "bwrap" and iso.sandboxed and "bubblewrap" in iso.reason


def test_without_bwrap_auto_refuses_with_a_fix_and_none_needs_an_opt_in(tmp_path):
    code = (
        "from smallcoder.sandbox import *\n"
        "try:\n    choose_isolation(SandboxSettings())\nexcept SandboxUnavailable as e:\n    print('REFUSED', e)\n"
        "print('NONE', choose_isolation(SandboxSettings(mode='none')).kind)\n"
        "import json; d = describe_isolation(); print('DOCTOR', json.dumps(d))\n"
    )
    res = _without_bwrap(code, tmp_path)
    assert res.returncode == 0, res.stderr
    refused = next(line for line in res.stdout.splitlines() if line.startswith("REFUSED"))
    assert "bwrap not found" in refused and "apt install bubblewrap" in refused and "--no-sandbox" in refused
    assert "NONE none" in res.stdout
    doctor = json.loads(res.stdout.split("DOCTOR ", 1)[1])
    assert doctor["bwrap"]["available"] is False and doctor["chosen"] is None and doctor["ok"] is False


def test_describe_isolation_for_doctor():
    d = describe_isolation()
    assert {"bwrap", "container", "mode", "network", "limits", "chosen", "ok", "detail"} <= d.keys()
    assert d["limits"]["applied_with"] in ("prlimit", "python")
    assert d["container"]["available"] is False  # none configured


def test_unsandboxed_mode_still_filters_secrets_and_applies_limits(tmp_path, monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_0123456789abcdef")
    box = open_sandbox(choose_isolation(settings(mode="none")), tmp_path, run_id="none1")
    res = run_command("env; ulimit -f", tmp_path, wrap=box.wrap, env=box.runner_env)
    assert "sk_live" not in res.output and "STRIPE_SECRET_KEY" not in res.output
    assert res.output.split()[-1] == str(TEST_LIMITS.file_mb * 1024)
    rec = box.record()
    assert rec["kind"] == "none" and rec["sandboxed"] is False and rec["network"] is True


def test_the_python_shim_applies_limits_where_prlimit_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no prlimit on PATH
    prefix = limits_prefix(Limits(file_mb=4, processes=99, cpu_s=30))
    assert prefix[0] == sys.executable
    monkeypatch.undo()
    res = subprocess.run([*prefix, "bash", "-c", "ulimit -f; ulimit -u; ulimit -t; ulimit -c"],
                         capture_output=True, text=True, timeout=30)
    assert res.stdout.split() == ["4096", "99", "30", "0"], res.stderr


def test_settings_from_the_config_table():
    s = SandboxSettings.from_config({"mode": "container", "container_engine": "podman",
                                     "container_image": "python:3.12", "limits": {"memory_mb": 1024},
                                     "read_only_paths": ["/opt/tools"]})
    assert s.mode == "container" and s.limits.memory_mb == 1024 and s.read_only_paths == ("/opt/tools",)
    assert s.with_flags(no_sandbox=True).mode == "none"
    assert s.with_flags(allow_network=True).allow_network and not s.allow_network
    with pytest.raises(ConfigError, match="unknown"):
        SandboxSettings.from_config({"mdoe": "none"})
    with pytest.raises(ConfigError, match="not one of"):
        SandboxSettings.from_config({"mode": "chroot"})
    with pytest.raises(ConfigError, match="limits"):
        SandboxSettings.from_config({"limits": {"ram": 1}})


def test_config_file_reaches_the_cli(tmp_path, monkeypatch):
    """`[sandbox] mode = "bwrap"` with no bwrap: the CLI refuses before loading any model."""
    config = tmp_path / "config.toml"
    config.write_text('[sandbox]\nmode = "bwrap"\n')
    code = ("import sys\nfrom smallcoder.cli.app import main\n"
            "sys.argv = ['smallcoder', 'fix', 'x', '--repo', '.', '--model', 'scripted:/nonexistent.json']\nmain()")
    monkeypatch.setenv("SMALLCODER_CONFIG", str(config))
    res = _without_bwrap(code, tmp_path)
    assert res.returncode == 2 and "bwrap not found" in res.stderr and "--no-sandbox" in res.stderr


def test_container_fallback_is_explained_when_not_usable():
    assert "no container engine configured" in check(SandboxSettings()).reason
    assert "container_image" in check(SandboxSettings(container_engine="docker")).reason
    reason = check(SandboxSettings(container_engine="docker", container_image="python:3.12",
                                   container_url="unix:///nonexistent/docker.sock")).reason
    assert "smallcoder[container]" in reason or "cannot reach docker" in reason
    with pytest.raises(SandboxUnavailable, match="container"):
        choose_isolation(SandboxSettings(mode="container"))


def test_container_spec_isolates_like_bwrap(tmp_path):
    wt = tmp_path / "wt"
    wt.mkdir()
    s = SandboxSettings(container_engine="docker", container_image="python:3.12", limits=TEST_LIMITS)
    spec = run_spec(s, ["bash", "-c", "pytest"], worktree=wt, cwd=wt, git=None,
                    env={"PATH": "/host", "LANG": "C.UTF-8"}, run_id="c1", toolchain=[])
    assert spec["volumes"] == {str(wt.resolve()): {"bind": str(wt.resolve()), "mode": "rw"}}
    assert spec["network_disabled"] is True and spec["read_only"] is True and spec["cap_drop"] == ["ALL"]
    assert spec["pids_limit"] == TEST_LIMITS.processes and spec["tmpfs"] == {"/tmp": "size=16m"}
    assert {"name": "fsize", "soft": 8 << 20, "hard": 8 << 20} in spec["ulimits"]
    assert spec["environment"] == {"LANG": "C.UTF-8", "HOME": "/tmp"} == container_env({"LANG": "C.UTF-8", "PATH": "/x"})
    json.dumps(spec)  # travels to the helper process as JSON


def test_doctor_reports_the_isolation(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[sandbox]\nmode = "none"\n')
    monkeypatch.setenv("SMALLCODER_CONFIG", str(config))
    d = describe_isolation(load_config().sandbox)  # the user's config, as a run reads it
    assert d["chosen"] == "none" and d["ok"] is False
    res = subprocess.run([sys.executable, "-m", "smallcoder.cli.app", "doctor", "--base-url", "http://127.0.0.1:9"],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert "sandbox none — the model's commands run unsandboxed" in res.stdout, res.stdout + res.stderr
