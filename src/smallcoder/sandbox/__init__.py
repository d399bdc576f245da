"""Running model-written commands safely: isolation, resource limits, secret filtering, approval.

    isolation = choose_isolation(SandboxSettings())   # bwrap, a container engine, or (opt-in) none
    sandbox = open_sandbox(isolation, worktree, repo=repo_root, run_id=run_id)
    run_command("pytest -q", worktree, wrap=sandbox.wrap, env=sandbox.runner_env)
    sandbox.record()                                   # what the run record says about isolation
    describe_isolation()                               # what `smallcoder doctor` shows

Importing this package starts nothing; bubblewrap is probed on first use.
"""

from smallcoder.sandbox.approval import Policy, check
from smallcoder.sandbox.secrets import filter_env, is_secret, mask_values
from smallcoder.sandbox.select import Isolation, choose_isolation, describe_isolation, isolation_summary
from smallcoder.sandbox.settings import Limits, SandboxSettings, SandboxUnavailable, settings_from_user_config
from smallcoder.sandbox.wrapper import Sandbox, open_sandbox

__all__ = [
    "Isolation",
    "Limits",
    "Policy",
    "Sandbox",
    "SandboxSettings",
    "SandboxUnavailable",
    "check",
    "choose_isolation",
    "describe_isolation",
    "filter_env",
    "is_secret",
    "isolation_summary",
    "mask_values",
    "open_sandbox",
    "settings_from_user_config",
]
