"""Writing datasets in the shapes the fine-tuning tools load.

- TRL (``SFTTrainer``, docs "Dataset formats"): conversational ``{"messages": [...], "tools": [...]}`` and
  conversational prompt-completion ``{"prompt": [...], "completion": [...]}``; FIM and calibration as
  language-modeling ``{"text": ...}``.
- LLaMA-Factory (data/README.md): ShareGPT ``{"conversations": [{"from", "value"}], "system", "tools"}``
  with ``human``/``gpt``/``observation`` turns, Alpaca ``{"instruction", "input", "output"}``, and a
  ``dataset_info.json`` that names them.
- axolotl (docs "Dataset Formats"): a config with ``type: chat_template`` over the messages file, the
  model's own Jinja template inline (``chat_template: jinja``), and ``type: completion`` for text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from smallcoder.dataset.sft import ChatExample


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write one JSON object per line (UTF-8, no ASCII escaping); returns the number written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def write_yaml(path: Path, data: dict[str, Any], header: str = "") -> None:
    """YAML with PyYAML when installed; otherwise JSON, which every YAML 1.2 reader loads."""
    try:
        import yaml

        body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    except ImportError:
        body = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    path.write_text(header + body, encoding="utf-8")


def trl_messages(e: ChatExample) -> dict[str, Any]:
    row: dict[str, Any] = {"messages": e.messages}
    if e.tools:
        row["tools"] = e.tools
    return row


def trl_prompt_completion(e: ChatExample) -> dict[str, Any]:
    """Everything before the last assistant turn is the prompt; that turn is the completion."""
    last = max(i for i, m in enumerate(e.messages) if m["role"] == "assistant")
    row: dict[str, Any] = {"prompt": e.messages[:last], "completion": [e.messages[last]]}
    if e.tools:
        row["tools"] = e.tools
    return row


_SHAREGPT_FROM = {"user": "human", "assistant": "gpt", "tool": "observation"}


def sharegpt(e: ChatExample) -> dict[str, Any]:
    """LLaMA-Factory ShareGPT. Its reader wants human/observation and gpt turns to alternate, so
    consecutive non-assistant messages (several tool results, a correction after them) are joined."""
    system = "\n\n".join(m["content"] for m in e.messages if m["role"] == "system")
    turns: list[dict[str, str]] = []
    for m in e.messages:
        if m["role"] == "system":
            continue
        who = _SHAREGPT_FROM[m["role"]]
        if turns and who != "gpt" and turns[-1]["from"] != "gpt":
            turns[-1]["value"] += "\n\n" + m["content"]
            continue
        turns.append({"from": who, "value": m["content"]})
    return {"conversations": turns, "system": system, "tools": json.dumps(e.tools, ensure_ascii=False) if e.tools else ""}


def alpaca(e: ChatExample) -> dict[str, Any] | None:
    """Single-turn examples only (a user turn and the answer); None for a multi-turn conversation."""
    turns = [m for m in e.messages if m["role"] != "system"]
    if [m["role"] for m in turns] != ["user", "assistant"]:
        return None
    system = "\n\n".join(m["content"] for m in e.messages if m["role"] == "system")
    return {"instruction": turns[0]["content"], "input": "", "output": turns[1]["content"], "system": system}


def write_sft(out: Path, examples: list[ChatExample], template: str, *, name: str = "smallcoder") -> dict[str, int]:
    """All SFT files under ``out``; returns rows written per file."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {
        "messages.jsonl": write_jsonl(out / "messages.jsonl", (trl_messages(e) for e in examples)),
        "prompt_completion.jsonl": write_jsonl(out / "prompt_completion.jsonl",
                                               (trl_prompt_completion(e) for e in examples)),
        "sharegpt.jsonl": write_jsonl(out / "sharegpt.jsonl", (sharegpt(e) for e in examples)),
        "alpaca.jsonl": write_jsonl(out / "alpaca.jsonl", (r for e in examples if (r := alpaca(e)) is not None)),
    }
    (out / "chat_template.jinja").write_text(template, encoding="utf-8")
    info = {
        f"{name}_sft": {"file_name": "sharegpt.jsonl", "formatting": "sharegpt",
                        "columns": {"messages": "conversations", "system": "system", "tools": "tools"}},
        f"{name}_edits": {"file_name": "alpaca.jsonl",
                          "columns": {"prompt": "instruction", "query": "input", "response": "output",
                                      "system": "system"}},
    }
    (out / "dataset_info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    write_yaml(out / "axolotl.yaml", {
        "base_model": "REPLACE-with-the-model-you-tune",
        "chat_template": "jinja",
        "chat_template_jinja": template,
        "datasets": [{"path": str((out / "messages.jsonl").resolve()), "ds_type": "json", "type": "chat_template",
                      "field_messages": "messages", "roles_to_train": ["assistant"]}],
        "sequence_len": 8192,
    }, header="# axolotl config: the model's own chat template (from its GGUF), so training matches inference.\n")
    return counts


def write_text_dataset(out: Path, files: dict[str, list[str]], *, axolotl_name: str = "axolotl.yaml") -> dict[str, int]:
    """Language-modeling files ``{"text": ...}`` (one per split name) and an axolotl config for them."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {f"{split}.jsonl": write_jsonl(out / f"{split}.jsonl", ({"text": t} for t in texts))
              for split, texts in files.items()}
    first = next(iter(files))
    write_yaml(out / axolotl_name, {
        "base_model": "REPLACE-with-the-model-you-tune",
        "datasets": [{"path": str((out / f"{first}.jsonl").resolve()), "ds_type": "json", "type": "completion",
                      "field": "text"}],
        "sequence_len": 8192,
    }, header="# axolotl config: raw text; FIM tokens are already in place, so no template is applied.\n")
    return counts
