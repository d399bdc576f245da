"""`models pull` against a local server with the Hub's file endpoints, through the real huggingface_hub client."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from smallcoder.models.catalog import GGUFSource
from smallcoder.models.pull import ChecksumError, PullError, pull_from_hub
from tests.models.hub_server import HubFiles, HubServer

CONTENT = bytes(range(256)) * (96 * 1024)  # 24 MiB: more than the client's 10 MiB read size
SHA = hashlib.sha256(CONTENT).hexdigest()
KEY = "acme/tiny-GGUF/tiny-q4_k_m.gguf"
TEST_MODEL = Path(os.environ.get("SMALLCODER_TEST_MODELS", Path.home() / ".cache/smallcoder-test-models")) / \
    "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def source(sha: str | None = SHA) -> GGUFSource:
    return GGUFSource(repo="acme/tiny-GGUF", file="tiny-q4_k_m.gguf", quant="Q4_K_M", source="test", sha256=sha)


def test_pull_downloads_and_verifies_against_the_catalog(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with HubServer(HubFiles({KEY: CONTENT})) as url:
        got = pull_from_hub(source(), tmp_path, endpoint=url)
    assert got.path == tmp_path / "acme__tiny-GGUF" / "tiny-q4_k_m.gguf"
    assert got.path.read_bytes() == CONTENT and got.verified_against == "catalog"
    assert "tiny-q4_k_m.gguf" in capfd.readouterr().err  # the client's progress bar names the file


def test_without_a_catalogued_checksum_the_hub_lfs_oid_is_used(tmp_path: Path) -> None:
    with HubServer(HubFiles({KEY: CONTENT})) as url:
        got = pull_from_hub(source(sha=None), tmp_path, endpoint=url, progress=False)
    assert got.sha256 == SHA and got.verified_against == "hub etag"


def test_a_cut_transfer_resumes_within_the_pull(tmp_path: Path) -> None:
    hub = HubFiles({KEY: CONTENT}, cut_after=12_000_000)
    with HubServer(hub) as url:
        got = pull_from_hub(source(), tmp_path, endpoint=url, progress=False)
    assert got.path.read_bytes() == CONTENT
    assert hub.ranges[0] == "" and hub.ranges[1].startswith("bytes=") and int(hub.ranges[1][6:-1]) > 0


def test_an_interrupted_pull_resumes_on_the_next_run(tmp_path: Path) -> None:
    hub = HubFiles({KEY: CONTENT}, cut_after=12_000_000, refuse_after_cut=True)
    partial = tmp_path / "acme__tiny-GGUF" / "tiny-q4_k_m.gguf.partial"
    with HubServer(hub) as url:
        with pytest.raises(PullError, match="kept, a rerun resumes"):
            pull_from_hub(source(), tmp_path, endpoint=url, progress=False)
        kept = partial.stat().st_size
        assert 0 < kept < len(CONTENT)
        hub.refusing = False
        got = pull_from_hub(source(), tmp_path, endpoint=url, progress=False)
    assert got.path.read_bytes() == CONTENT and not partial.exists()
    assert hub.ranges[-1] == f"bytes={kept}-"


def test_corrupt_bytes_are_refused_and_deleted(tmp_path: Path) -> None:
    corrupt = CONTENT[:-1] + b"X"
    with HubServer(HubFiles({KEY: CONTENT}, serve_bytes={KEY: corrupt})) as url:
        with pytest.raises(ChecksumError, match="corrupt or not the catalogued file"):
            pull_from_hub(source(), tmp_path, endpoint=url, progress=False)
    assert not list((tmp_path / "acme__tiny-GGUF").glob("tiny*"))


def test_no_hub_answering_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PullError) as e:
        pull_from_hub(source(), tmp_path, endpoint=f"http://127.0.0.1:{port}", progress=False)
    assert "\n" not in str(e.value) and "could not download acme/tiny-GGUF/tiny-q4_k_m.gguf" in str(e.value)


def test_unknown_file_on_the_hub_is_one_line(tmp_path: Path) -> None:
    with HubServer(HubFiles({})) as url:
        with pytest.raises(PullError, match="could not download"):
            pull_from_hub(source(), tmp_path, endpoint=url, progress=False)


@pytest.mark.model
@pytest.mark.skipif(not TEST_MODEL.is_file(), reason="test model absent (../shared/scripts/fetch-test-models.sh)")
def test_cli_pulls_the_catalogued_model_from_a_local_hub(tmp_path: Path) -> None:
    """The real catalog entry, the real file and its catalogued SHA-256, served by the local hub."""
    data = TEST_MODEL.read_bytes()
    key = "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    with HubServer(HubFiles({key: data})) as url:
        env = {**os.environ, "HF_ENDPOINT": url, "SMALLCODER_HOME": str(tmp_path), "COLUMNS": "120"}
        run = subprocess.run([sys.executable, "-m", "smallcoder.cli.app", "models", "pull",
                              "qwen2.5-coder-0.5b-instruct"], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    path = Path(run.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.stat().st_size == len(data)
    assert "verified" in run.stderr and "catalog" in run.stderr
    assert "%" in run.stderr  # the progress bar


def test_cli_pull_of_an_unknown_name_is_one_line_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "SMALLCODER_HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "smallcoder.cli.app", "models", "pull", "no-such-model"],
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "no catalogued model" in run.stderr
