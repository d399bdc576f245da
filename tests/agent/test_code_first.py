"""The cheap first shot: when the failing tests and the Python file are in the first prompt, the first reply
of a try starts inside a ```python block (agent/policy.py FixPolicy.prefill), on backends that can prefill."""

from smallcoder.agent.loop import AgentConfig
from smallcoder.backends.base import Capabilities
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.store.runs import RunStore

from .conftest import git
from .scripts import FIX_MEAN, hermes

FIXED_BODY = 'def mean(values):\n    """Return the mean."""\n    return sum(values) / len(values)\n```'
WRONG_BODY = 'def mean(values):\n    return sum(values) / (len(values) - 2)\n```'
PREFILL = "```python\n"


def prefilling(outputs, streaming=True):
    return ScriptedBackend(outputs=list(outputs), capabilities=Capabilities(streaming=streaming, prefill=True))


def fix(repo, backend, **options):
    with RunStore() as store:
        result = run_fix("mean() is wrong for [2, 4, 6]", repo, backend, FixOptions(**options), [store])
        return result, store.get_run(result.run_id)


def test_the_first_reply_is_the_fixed_code_and_resolves_in_one_call(example_repo):
    backend = prefilling([FIXED_BODY])
    result, detail = fix(example_repo, backend)
    assert result.status == "resolved" and result.model_calls == 1
    assert backend.prefills == [PREFILL]
    assert detail["model_calls"][0]["text"] == PREFILL + FIXED_BODY  # the record holds the reply as the model saw it
    assert "+    return sum(values) / len(values)" in result.diff


def test_only_the_first_reply_of_a_try_is_prefilled(example_repo):
    backend = prefilling([WRONG_BODY, hermes("replace_in_file", path="stats.py", old="(len(values) - 2)",
                                             new="len(values)")])
    result, _ = fix(example_repo, backend)
    assert result.status == "resolved" and backend.prefills == [PREFILL, ""]
    history = backend.requests[1]
    assert history[2].role == "assistant" and history[2].content == PREFILL + WRONG_BODY


def test_a_long_code_reply_is_not_cut_as_prose(example_repo):
    body = "def mean(values):\n" + "".join(f"    # step {i} of the computation, kept\n" for i in range(60)) + \
        "    return sum(values) / len(values)\n```"
    backend = prefilling([body])
    result, detail = fix(example_repo, backend)
    assert result.status == "resolved" and detail["model_calls"][0]["cut"] in ("", None)


def test_no_first_shot_without_a_failing_test_the_code_or_the_switch(example_repo):
    backend = prefilling([FIX_MEAN])
    fix(example_repo, backend, show_code=False)
    assert backend.prefills == [""]

    backend = prefilling([FIX_MEAN])
    fix(example_repo, backend, agent=AgentConfig(code_first=False))
    assert backend.prefills == [""]

    stats = example_repo / "stats.py"
    stats.write_text(stats.read_text().replace("(len(values) - 1)", "len(values)"))
    git(example_repo, "commit", "-qam", "fixed already")
    backend = prefilling([hermes("list_files")])
    fix(example_repo, backend, agent=AgentConfig(max_steps=1))
    assert backend.prefills == [""]


def test_backends_that_cannot_prefill_are_not_asked(example_repo):
    backend = ScriptedBackend(outputs=[FIX_MEAN], capabilities=Capabilities(streaming=True))
    result, _ = fix(example_repo, backend)
    assert result.status == "resolved" and backend.prefills == [""]


def test_a_failing_display_hook_does_not_cost_the_prefilled_call(example_repo):
    # the live view's hook may fail on any piece, the given start included: the model call goes on
    def broken(text):
        raise RuntimeError("terminal gone")

    backend = prefilling([FIXED_BODY])
    backend.on_text = broken
    result, _ = fix(example_repo, backend)
    assert result.status == "resolved" and result.model_calls == 1


def test_the_given_start_is_prompt_not_generation_in_the_usage():
    # as on the embedded engine: the prefill is evaluated with the prompt, only what follows is generated
    from smallcoder.types import Message, estimate_tokens

    for streaming in (True, False):
        backend = prefilling([FIXED_BODY], streaming=streaming)
        plain = ScriptedBackend(outputs=[FIXED_BODY]).complete([Message("user", "fix it")], [], max_tokens=64)
        reply = backend.complete([Message("user", "fix it")], [], max_tokens=64, prefill=PREFILL)
        assert reply.text == PREFILL + FIXED_BODY
        assert reply.usage.completion_tokens == plain.usage.completion_tokens == estimate_tokens(FIXED_BODY)
        assert reply.usage.prompt_tokens > plain.usage.prompt_tokens


def test_a_reply_that_writes_its_given_start_again_is_still_the_code(example_repo):
    # given "```python\n", the model writes "```python\n" once more: read as one block, not an empty one
    backend = prefilling(["```python\n" + FIXED_BODY])
    result, detail = fix(example_repo, backend)
    assert result.status == "resolved" and result.model_calls == 1
    assert detail["model_calls"][0]["text"] == PREFILL + "```python\n" + FIXED_BODY  # recorded as it came
