"""The front door: every entry point (CLI commands, the issue flow, batch workers, benchmarks)
opens its session here, so each one runs exactly what a user runs.

    config = load_config().with_flags(model="model.gguf", allow_network=False)
    with open_session(config, Home.from_env(), stream=printer.on_text) as session:
        if session.warning:
            print(session.warning)
        result = session.fix(task, repo, FixOptions(test_command="pytest -q"), observers=[printer])

Order matters for the user: the isolation is chosen (or refused) before a
model is loaded, so a refusal costs nothing; the backend is closed and the
store flushed whatever happens inside the block.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from smallcoder.agent.events import Observer, RunResult
from smallcoder.backends.base import Backend, OnText
from smallcoder.backends.specs import choose_spec, open_backend
from smallcoder.config import UserConfig
from smallcoder.paths import Home
from smallcoder.sandbox import Isolation, choose_isolation
from smallcoder.session.fix import FixOptions, run_fix
from smallcoder.store.runs import RunStore

UNSANDBOXED = "the model's commands run WITHOUT a sandbox: they can read and change anything you can"


@dataclass
class Session:
    """An open model, the run store and the chosen isolation, shared by the runs of one command."""

    config: UserConfig
    home: Home
    backend: Backend
    store: RunStore
    isolation: Isolation
    warning: str | None = None  # one line the entry point shows (e.g. running unsandboxed)
    observers: list[Observer] = field(default_factory=list)  # every run reports to these (the store first)

    def options(self, options: FixOptions | None = None) -> FixOptions:
        """`options` with what the session decides: the user's sandbox settings and where worktrees go."""
        return replace(options or FixOptions(), sandbox=self.config.sandbox, worktrees_dir=self.home.worktrees)

    def fix(self, task: str, repo: Path, options: FixOptions | None = None,
            observers: Sequence[Observer] = ()) -> RunResult:
        """One fix run (session/fix.py) with this session's backend, sandbox, store and observers."""
        return run_fix(task, repo, self.backend, self.options(options), [*self.observers, *observers])


@contextmanager
def open_session(config: UserConfig, home: Home, *, stream: OnText | None = None,
                 backend: Backend | None = None) -> Iterator[Session]:
    """Open the backend named by `config` (see backends/specs.py), the run store under `home`, and
    choose the isolation for model-written commands.

    stream: called with each piece of model text as it is generated (when the backend streams).
    backend: one the caller already opened (library use, tests); the session still closes it.
    Raises SandboxUnavailable before any model is loaded when no allowed isolation can run, and
    ConfigError / ModelNotFoundError / BackendError (one line each) when the model cannot be opened.
    """
    isolation = choose_isolation(config.sandbox)
    warning = None if isolation.sandboxed else UNSANDBOXED
    backend = backend or open_backend(choose_spec(config, home), config, home)
    try:
        if stream is not None and backend.capabilities.streaming:
            backend.on_text = stream
        with RunStore(home.db) as store:
            yield Session(config, home, backend, store, isolation, warning, [store])
    finally:
        backend.close()
