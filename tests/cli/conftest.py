"""Fixtures the command's tests share with the agent's: a smallcoder home per test, the bundled example repo."""

from tests.agent.conftest import example_repo, isolated_home  # noqa: F401  (fixtures)
