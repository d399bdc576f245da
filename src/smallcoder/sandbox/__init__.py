"""Running model-written commands safely: isolation, resource limits, secret filtering.

    isolation = choose_isolation(SandboxSettings())   # bwrap, a container engine, or (opt-in) none
    sandbox = open_sandbox(isolation, worktree, repo=repo_root, run_id=run_id)
    run_command("pytest -q", worktree, wrap=sandbox.wrap, env=sandbox.runner_env)
    sandbox.record()                                   # what the run record says about isolation
    describe_isolation()                               # what `smallcoder doctor` shows

Importing this package starts nothing; bubblewrap is probed on first use.
"""

from smallcoder.config import Limits, SandboxSettings
from smallcoder.errors import SandboxUnavailable
from smallcoder.sandbox.select import Isolation, choose_isolation, describe_isolation, isolation_summary
from smallcoder.sandbox.wrapper import Sandbox, open_sandbox

__all__ = [
    "Isolation",
    "Limits",
    "Sandbox",
    "SandboxSettings",
    "SandboxUnavailable",
    "choose_isolation",
    "describe_isolation",
    "isolation_summary",
    "open_sandbox",
]
