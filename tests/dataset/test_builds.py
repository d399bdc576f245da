from __future__ import annotations

import json
from pathlib import Path

import pytest

from smallcoder.backends.embedded import CHATML_FALLBACK
from smallcoder.dataset.build import make_calibration, make_fim, make_sft
from smallcoder.dataset.fim import FimOptions
from smallcoder.dataset.template import ModelTemplate, render_for_training
from smallcoder.errors import SmallcoderError
from smallcoder.fim.formats import QWEN_TOKENS, psm, spm

CHATML = ModelTemplate(CHATML_FALLBACK, "", "<|im_end|>", "ChatML")


def _rows(path: Path) -> list[dict]:
    return [json.loads(ln) for ln in path.read_text().splitlines()]


def test_fim_uses_the_engine_formats_and_splits_by_file(repo: Path, tmp_path: Path) -> None:
    built = make_fim(repo, tmp_path / "fim", options=FimOptions(per_file=6, eval_share=0.3, seed=1))
    train, held = _rows(tmp_path / "fim" / "train.jsonl"), _rows(tmp_path / "fim" / "eval.jsonl")
    assert train and held and built.removed["exact duplicate"] == 1  # copy_of_files.py
    samples = _rows(tmp_path / "fim" / "eval_samples.jsonl")
    assert samples and {s["kind"] for s in samples} <= {"line", "block"}
    for s in samples:  # each eval text is exactly the FIM engine's prompt + middle + end token
        want = {psm(s["prefix"], s["suffix"], QWEN_TOKENS) + s["middle"] + "<|endoftext|>",
                spm(s["prefix"], s["suffix"], QWEN_TOKENS) + s["middle"] + "<|endoftext|>"}
        assert any(r["text"] in want for r in held)
        assert s["prefix"] + s["middle"] + s["suffix"] == (repo / s["path"]).read_text().replace(
            "Zq8vR2xLp9TfW4mK7sYb3NcH6jDgA1Ue", "[REDACTED]").replace("ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                                                                      "[REDACTED]")
    from smallcoder.dataset.fim import build_fim, family_format
    from smallcoder.dataset.sources import collect

    tr, ev = build_fim(collect(repo)[0], family_format("qwen"), FimOptions(per_file=6, eval_share=0.3, seed=1))
    assert tr and ev and not {e.path for e in tr} & {e.path for e in ev}  # split by file
    texts = [r["text"] for r in train]
    assert any(t.startswith(QWEN_TOKENS.prefix) for t in texts) and any(t.startswith(QWEN_TOKENS.suffix) for t in texts)
    meta = json.loads((tmp_path / "fim" / "manifest.json").read_text())
    assert meta["removed"]["excluded license"] == 1


def test_fim_outputs_load_with_datasets(repo: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    make_fim(repo, tmp_path / "fim", family="codestral")
    ds = datasets.load_dataset("json", data_files={"train": str(tmp_path / "fim" / "train.jsonl")}, split="train")
    assert ds.num_rows > 0 and any(t.startswith("[SUFFIX]") for t in ds["text"])


def test_sft_uses_only_verified_runs_and_history(repo: Path, store_db: Path, tmp_path: Path) -> None:
    built = make_sft(repo, tmp_path / "sft", CHATML, db=store_db)
    assert built.info == {"from runs": 1, "from commits": 1, "template": "ChatML"}
    assert built.removed["run not verified"] == 1 and built.removed["root commit"] == 1
    assert built.removed["diff too large, empty or binary"] == 1  # the commit that added logo.png
    rows = _rows(tmp_path / "sft" / "messages.jsonl")
    run = next(r for r in rows if r["messages"][0]["role"] == "system")
    assert [m["role"] for m in run["messages"]] == ["system", "user", "assistant", "tool", "assistant"]
    assert run["messages"][2]["content"].startswith("<tool_call>")  # the raw reply, as the agent sends it back
    assert "# Tools" in run["messages"][0]["content"] and "tools" not in run  # ChatML cannot take tools
    edit = next(r for r in rows if "drop a trailing slash" in r["messages"][0]["content"])
    assert edit["messages"][1]["content"].startswith("diff --git a/pkg/settings.py")
    assert "Zq8v" not in json.dumps(rows)
    pc = _rows(tmp_path / "sft" / "prompt_completion.jsonl")
    assert all(r["completion"][0]["role"] == "assistant" for r in pc)
    share = _rows(tmp_path / "sft" / "sharegpt.jsonl")
    for r in share:
        whos = [t["from"] for t in r["conversations"]]
        assert all(w == "gpt" for w in whos[1::2]) and all(w != "gpt" for w in whos[0::2])
    info = json.loads((tmp_path / "sft" / "dataset_info.json").read_text())
    assert info["smallcoder_sft"]["formatting"] == "sharegpt"
    assert (tmp_path / "sft" / "chat_template.jinja").read_text() == CHATML_FALLBACK


def test_sft_files_load_and_render_with_the_real_libraries(repo: Path, store_db: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    yaml = pytest.importorskip("yaml")
    make_sft(repo, tmp_path / "sft", CHATML, db=store_db)
    for name in ("messages", "prompt_completion", "sharegpt", "alpaca"):
        ds = datasets.load_dataset("json", data_files=str(tmp_path / "sft" / f"{name}.jsonl"), split="train")
        assert ds.num_rows == (1 if name == "alpaca" else 2)  # alpaca: single-turn rows only
    ds = datasets.load_dataset("json", data_files=str(tmp_path / "sft" / "messages.jsonl"), split="train")
    text = render_for_training(CHATML_FALLBACK, ds[0]["messages"])  # transformers' renderer when installed
    assert text.startswith("<|im_start|>") and text.endswith("<|im_end|>\n")
    cfg = yaml.safe_load((tmp_path / "sft" / "axolotl.yaml").read_text())
    assert cfg["chat_template"] == "jinja" and cfg["chat_template_jinja"] == CHATML_FALLBACK
    assert Path(cfg["datasets"][0]["path"]).is_file() and cfg["datasets"][0]["type"] == "chat_template"


def test_sft_with_nothing_to_read_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SmallcoderError, match="no examples"):
        make_sft(None, tmp_path / "o", CHATML, db=tmp_path / "absent.db")


def test_calibration_mixes_code_and_transcripts(repo: Path, store_db: Path, tmp_path: Path) -> None:
    built = make_calibration(repo, tmp_path / "cal.txt", CHATML, db=store_db, chars=8_000, tool_share=0.3)
    text = (tmp_path / "cal.txt").read_text()
    assert built.info["transcripts"] == 2 and built.info["transcript chars"] > 0
    assert "<|im_start|>assistant\n<tool_call>" in text and "def list_files" in text
    assert "Zq8v" not in text and "GPL-3.0" not in text  # secrets masked, the GPL file left out
    assert (tmp_path / "cal.manifest.json").is_file()
