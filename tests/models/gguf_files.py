"""GGUF files written with the `gguf` package: the real shapes of large models, tiny tensors.

The metadata is the model's (layers, heads, KV heads, head dim, context, experts, rope
scaling, chat template); the tensors are scaled down so a test writes kilobytes, yet keep
the model's naming (`blk.N.ffn_gate_exps.weight` for routed experts) so tensor accounting
is exercised.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np


def write_gguf(path: Path, arch: str, *, name: str, layers: int, heads: int, kv_heads: int, head_dim: int,
               hidden: int, context: int, vocab: int, experts: int = 0, experts_used: int = 0,
               yarn: tuple[float, int] | None = None, chat_template: str | None = None,
               expert_elems: int = 4096, dense_elems: int = 1024) -> Path:
    """Write a GGUF with these shapes; each routed-expert tensor has `expert_elems` f16 values."""
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name(name)
    w.add_block_count(layers)
    w.add_context_length(context)
    w.add_embedding_length(hidden)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_vocab_size(vocab)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_K_M)
    if experts:
        w.add_expert_count(experts)
        w.add_expert_used_count(experts_used)
    if yarn:
        w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        w.add_rope_scaling_factor(yarn[0])
        w.add_rope_scaling_orig_ctx_len(yarn[1])
    if chat_template:
        w.add_chat_template(chat_template)
    w.add_tensor("token_embd.weight", np.zeros(dense_elems, dtype=np.float16))
    w.add_tensor("output.weight", np.zeros(dense_elems, dtype=np.float16))
    for i in range(layers):
        w.add_tensor(f"blk.{i}.attn_q.weight", np.zeros(dense_elems, dtype=np.float16))
        if experts:
            for part in ("gate", "up", "down"):
                w.add_tensor(f"blk.{i}.ffn_{part}_exps.weight", np.zeros(expert_elems, dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
