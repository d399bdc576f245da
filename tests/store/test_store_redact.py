from __future__ import annotations

from collections.abc import Callable

import pytest

from smallcoder.agent import events
from smallcoder.agent.events import ModelCalled, RunStarted, ToolExecuted
from smallcoder.secrets import redact
from smallcoder.store import RunStore
from smallcoder.types import Completion, ToolCall


SECRETS = [
    "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t",
    "sk-ant-api03-" + "abcdefghijklmnop-QRSTUV",
    "AKIAIOSFODNN7EXAMPLE",
    "xoxb-123456789012-abcdefABCDEF",
    "hf_" + "abcdefghijklmnopqrstuvwxyzABCDEFGH",
    "glpat-" + "abcdefghij0123456789",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_token_shapes_are_masked(secret: str) -> None:
    out = redact(f"export X={secret}; echo done")
    assert secret not in out and "[REDACTED]" in out and out.endswith("; echo done")


def test_private_key_block() -> None:
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"
    out = redact(f"cat id_ed25519\n{key}\n$ ls")
    assert "b3BlbnNz" not in out and out == "cat id_ed25519\n[REDACTED]\n$ ls"
    truncated = redact("-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n[output truncated]")
    assert "MIIE" not in truncated


def test_authorization_header_keeps_the_header_name() -> None:
    out = redact('curl -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def" https://x')
    assert out == 'curl -H "Authorization: Bearer [REDACTED]" https://x'
    assert redact("authorization: token abcdef123456") == "authorization: token [REDACTED]"


def test_env_style_secret_assignments() -> None:
    assert redact("OPENAI_API_KEY=abc123def456\nPATH=/usr/bin") == "OPENAI_API_KEY=[REDACTED]\nPATH=/usr/bin"
    assert redact('DB_PASSWORD="hunter22"') == 'DB_PASSWORD="[REDACTED]"'
    assert redact("SECRET_KEY_BASE=f00dbabe99") == "SECRET_KEY_BASE=[REDACTED]"
    # Token budgets are everywhere in this project; they are not credentials.
    assert redact("MAX_TOKENS=131072 TOKEN_LIMIT=100000") == "MAX_TOKENS=131072 TOKEN_LIMIT=100000"


def test_password_in_url() -> None:
    out = redact("origin  https://alice:s3cr3t-pw@git.example.com/repo.git (fetch)")
    assert out == "origin  https://alice:[REDACTED]@git.example.com/repo.git (fetch)"
    assert redact("see https://example.com/a:b@c") == "see https://example.com/a:b@c"


def test_ordinary_code_is_untouched() -> None:
    code = (
        "def ask(prompt):\n"
        "    token = request.headers['Authorization']\n"
        "    password = form.get('password')\n"
        "    task_key = 'sk-1'\n"
        "    return mask(token)  # Bearer tokens are checked elsewhere\n"
    )
    assert redact(code) == code
    assert redact("") == ""


def test_store_redacts_what_it_writes(make_started: Callable[..., RunStarted], store: RunStore) -> None:
    key = "ghp_" + "Z" * 36
    store.record(make_started("sec01", task=f"use token {key} to push"))
    store.record(ModelCalled("sec01", 1, Completion(f"I will run curl with {key}",
                                                    [ToolCall("bash", {"command": f"echo {key}"})])))
    store.record(ToolExecuted("sec01", 1, ToolCall("bash", {"command": f"echo {key}", "n": 1}),
                              f"{key}\nAKIAIOSFODNN7EXAMPLE", True, 0.1))
    tests = events.TestRun(f"TOKEN={key} pytest", False, 1, f"E {key}", 0.1)
    store.record(events.TestsRan("sec01", "before", 0, tests))
    detail = store.get_run("sec01")
    dumped = repr(detail)
    assert key not in dumped and "AKIAIOSFODNN7EXAMPLE" not in dumped
    assert detail["tool_executions"][0]["arguments"] == {"command": "echo [REDACTED]", "n": 1}
    assert detail["run"]["task"] == "use token [REDACTED] to push"
    # The raw bytes on disk must not hold it either (e.g. in an un-redacted column).
    assert key.encode() not in store.path.read_bytes()
