"""The embedded llama.cpp backend against the real Qwen2.5-Coder-0.5B GGUF."""

import pytest

from smallcoder.backends.embedded import EmbeddedBackend
from smallcoder.errors import BackendError, ModelNotFoundError
from smallcoder.tools import default_tools, tool_specs
from smallcoder.types import Message

pytestmark = pytest.mark.model


def test_reads_facts_from_gguf(small_backend):
    assert small_backend.facts.architecture == "qwen2"
    assert small_backend.facts.trained_context == 32768
    assert small_backend.context_window == 8192
    assert small_backend.dialect == "hermes"
    assert small_backend.template_has_tools


def test_tools_are_rendered_by_the_gguf_template(small_backend):
    specs = tool_specs(default_tools())
    prompt = small_backend.render([Message("system", "sys"), Message("user", "hi")], specs)
    assert "<tools>" in prompt and '"name": "replace_in_file"' in prompt
    assert prompt.endswith("<|im_start|>assistant\n")


def test_append_only_history_reuses_the_kv_cache(small_backend):
    specs = tool_specs(default_tools())
    messages = [Message("system", "You fix bugs."), Message("user", "List the files of the repository.")]
    first = small_backend.complete(messages, specs, max_tokens=40)
    assert first.usage.prompt_tokens == small_backend.count_tokens(messages, specs)
    messages += [Message("assistant", first.text), Message("tool", "stats.py\ntest_stats.py", name="list_files")]
    second = small_backend.complete(messages, specs, max_tokens=40)
    # everything up to the new tool response was already in the cache
    assert second.usage.cached_tokens >= first.usage.prompt_tokens
    assert second.usage.prompt_tokens - second.usage.cached_tokens < 40


def test_prompt_larger_than_the_window_is_refused_before_sending(small_backend):
    huge = [Message("user", "word " * 9000)]
    with pytest.raises(BackendError, match="context window"):
        small_backend.complete(huge, [], max_tokens=10)


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelNotFoundError, match="not found"):
        EmbeddedBackend(tmp_path / "nope.gguf")
