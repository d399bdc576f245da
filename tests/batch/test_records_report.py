"""Records survive a kill mid-write; model names; the report's figures and plots."""

import json

import pytest

from smallcoder.session.batch import BatchCounts, model_label
from smallcoder.session.batch_records import BatchOutput, BatchOutputError
from smallcoder.session.batch_report import summarize, write_report


def record(iid, model="m", outcome="resolved", **kw):
    return {"instance_id": iid, "model": model, "model_name_or_path": model, "model_patch": f"diff {iid}\n",
            "outcome": outcome, **kw}


def test_model_labels():
    assert model_label("/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf") == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert model_label("openai:http://127.0.0.1:8080/v1#qwen-7b") == "qwen-7b"
    assert model_label("scripted:/tmp/x/script.json") == "scripted-script"
    assert model_label("ollama:qwen2.5-coder:1.5b") == "ollama_qwen2.5-coder_1.5b"


def test_a_line_cut_by_a_kill_is_dropped_and_predictions_follow_the_records(tmp_path):
    out = BatchOutput(tmp_path)
    out.start({}, resume=False)
    out.write(record("a"))
    out.write(record("b"))
    with open(tmp_path / "m" / "records.jsonl", "a") as f:
        f.write('{"instance_id": "c", "mod')  # the writer was killed here
    with open(tmp_path / "m" / "predictions.jsonl", "a") as f:
        f.write(json.dumps({"instance_id": "c", "model_name_or_path": "m", "model_patch": ""}) + "\n")
    with pytest.raises(BatchOutputError, match="--resume"):
        BatchOutput(tmp_path).start({}, resume=False)
    again = BatchOutput(tmp_path)
    again.start({}, resume=True)
    assert again.done("m") == {"a", "b"}
    again.write(record("c"))
    preds = [json.loads(line) for line in (tmp_path / "m" / "predictions.jsonl").read_text().splitlines()]
    assert [p["instance_id"] for p in preds] == ["a", "b", "c"]
    assert all(set(p) == {"instance_id", "model_name_or_path", "model_patch"} for p in preds)
    assert len((tmp_path / "m" / "records.jsonl").read_text().splitlines()) == 3


def test_retry_reruns_chosen_outcomes_and_keeps_one_prediction_each(tmp_path):
    out = BatchOutput(tmp_path)
    out.start({}, resume=False)
    out.write(record("a"))
    out.write(record("b", outcome="error"))
    assert out.done("m", retry=("error",)) == {"a"} and out.done("m") == {"a", "b"}
    out.write(record("b", outcome="unresolved"))  # the retry's record: the latest wins
    out.finish()
    preds = [json.loads(line) for line in (tmp_path / "m" / "predictions.jsonl").read_text().splitlines()]
    assert [p["instance_id"] for p in preds] == ["a", "b"]
    assert {r["instance_id"]: r["outcome"] for r in out.records("m")} == {"a": "resolved", "b": "unresolved"}


def test_resolve_rate_leaves_environment_errors_out(tmp_path):
    recs = [record("a", prompt_tokens=900, completion_tokens=100, cached_tokens=600, model_calls=2, steps=2,
                   wall_s=10), record("b", outcome="unresolved", prompt_tokens=1900, completion_tokens=100,
                                      cached_tokens=1200, model_calls=3, steps=4, wall_s=30),
            record("c", outcome="env_error", wall_s=2)]
    s = summarize("m", recs)
    assert s.counts["resolved"] == 1 and s.counts["env_error"] == 1 and s.judged == 2
    assert s.resolve_rate == 0.5 and s.mean_tokens == 1500 and s.mean_steps == 3.0
    assert s.cache_reuse == pytest.approx(1800 / 2800)
    counts = BatchCounts(total=3)
    for r in recs:
        counts.add(r)
    assert (counts.done, counts.resolved, counts.env_errors, counts.tokens) == (3, 1, 1, 3000)


def test_report_has_models_side_by_side_and_plots(tmp_path):
    out = BatchOutput(tmp_path)
    out.start({}, resume=False)
    for model, outcome in (("small", "unresolved"), ("big", "resolved")):
        out.write(record("a", model=model, outcome=outcome, prompt_tokens=100, completion_tokens=10, model_calls=1))
    md, page = write_report(tmp_path)
    text = md.read_text()
    assert "| big | 1 | 1 | 0 |" in text and "| small | 1 | 0 | 1 |" in text and "100.0%" in text
    html = page.read_text()
    assert html.count("<svg") == 5 and "Resolve rate per model" in html and "KV-cache reuse" in html
