"""Credentials kept out of commands, the run store and prompts; the approval policy, in the real agent loop."""

from __future__ import annotations

import pytest

from smallcoder.agent.loop import Agent, AgentConfig
from smallcoder.backends.scripted import ScriptedBackend
from smallcoder.tools.approval import Policy, check
from smallcoder.secrets import filter_env, is_secret_name, mask_values, secret_values
from smallcoder.secrets import redact
from smallcoder.tools import Tool, ToolContext, default_tools

from .conftest import hermes


@pytest.mark.parametrize("name", ["GITHUB_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "HF_TOKEN",
                                  "NPM_CONFIG_AUTHTOKEN", "SSH_AUTH_SOCK", "DATABASE_URL", "PGPASSWORD",
                                  "GOOGLE_APPLICATION_CREDENTIALS", "MY_APP_SECRET", "SENTRY_DSN"])
def test_credential_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["PATH", "HOME", "LANG", "MAX_TOKENS", "TOKENIZERS_PARALLELISM", "KEYBOARD",
                                  "PASSWORD_STORE_DIR", "PYTHONPATH", "VIRTUAL_ENV", "LC_ALL", "CI"])
def test_ordinary_names(name):
    assert not is_secret_name(name)


def test_values_that_look_like_credentials_are_dropped_whatever_the_name():
    kept, dropped = filter_env({"UPSTREAM": "https://bob:hunter22@git.example.com/x.git",
                                "NOTE": "ghp_abcdefghijklmnopqrstuvwxyz0123", "EDITOR": "vim"})
    assert kept == {"EDITOR": "vim"} and dropped == ["NOTE", "UPSTREAM"]


def test_secret_values_are_masked_in_the_store_and_plain_words_are_not(monkeypatch):
    monkeypatch.setenv("INTERNAL_SERVICE_TOKEN", "x7-internal-9f3a")  # no known token shape: only env tells
    monkeypatch.setenv("AUTH_TYPE", "password")  # a plain word: masking it would mangle ordinary text
    assert "x7-internal-9f3a" in secret_values() and "password" not in secret_values()
    assert redact("curl -H 'X-Token: x7-internal-9f3a' …; the password field") == \
        "curl -H 'X-Token: [REDACTED]' …; the password field"
    assert mask_values("nothing here", ["x7-internal-9f3a"]) == "nothing here"


def _new_tool(ctx: ToolContext) -> str:
    """A tool whose author declared no kind."""
    return ""


def test_policies():
    yes, no = (lambda *_: True), (lambda *_: False)
    kinds = {t.name: t.kind for t in default_tools()}

    def allowed(policy, name, args, ask):
        return check(policy, kinds.get(name, "exec"), name, args, ask)

    assert allowed(Policy.FULL_AUTO, "run_command", {"command": "rm -rf /"}, None)
    assert allowed("read-only", "read_file", {}, None) and not allowed("read-only", "write_file", {}, yes)
    assert not allowed("read-only", "run_tests", {}, yes)
    assert allowed("ask", "search", {}, no) and allowed("read-only", "submit", {}, None)
    assert allowed("ask", "run_command", {"command": "ls"}, yes) and not allowed("ask", "run_command", {}, no)
    assert not allowed("ask", "write_file", {}, None)  # no way to ask: no
    assert not check("ask", Tool.from_function(_new_tool).kind, "new_tool", {}, no)  # undeclared: a command


def test_the_agent_asks_before_writing_and_reports_a_refusal(tmp_path):
    (tmp_path / "a.txt").write_text("original\n")
    asked: list[tuple[str, dict]] = []

    def ask(tool: str, arguments: dict) -> bool:
        asked.append((tool, dict(arguments)))
        return False

    backend = ScriptedBackend(outputs=[hermes("write_file", path="a.txt", content="changed\n"),
                                       hermes("read_file", path="a.txt"), hermes("submit", summary="x")])
    agent = Agent(backend, default_tools(), ToolContext(root=tmp_path), AgentConfig(approval="ask", ask=ask), "r1")
    outcome = agent.run("system", "task")
    assert outcome.status == "submitted"
    assert asked == [("write_file", {"path": "a.txt", "content": "changed\n"})]
    assert (tmp_path / "a.txt").read_text() == "original\n"
    tool_messages = [m.content for m in agent.messages if m.role == "tool"]
    assert "did not approve" in tool_messages[0] and "original" in tool_messages[1]


def test_observations_reaching_the_prompt_are_redacted(tmp_path, monkeypatch):
    monkeypatch.setenv("DEPLOY_TOKEN", "dtok-5566778899-zz")
    (tmp_path / "deploy.log").write_text("using dtok-5566778899-zz and ghp_abcdefghijklmnopqrstuvwxyz0123\n")
    backend = ScriptedBackend(outputs=[hermes("read_file", path="deploy.log"), hermes("submit", summary="x")])
    agent = Agent(backend, default_tools(), ToolContext(root=tmp_path), AgentConfig(), "r2")
    agent.run("system", "task")
    prompt = "\n".join(m.content for m in backend.requests[-1])
    assert "dtok-5566778899" not in prompt and "ghp_abc" not in prompt and "[REDACTED]" in prompt
