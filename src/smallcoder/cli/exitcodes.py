"""Exit codes of `smallcoder fix` (and `demo`), one per outcome, so a CI job can tell them apart.

    0    resolved             tests that failed before pass after
    1    unresolved           no verified fix (tests still fail, no change, a limit, stuck, format errors)
    2    bad usage            bad arguments or input, caught before a run starts (click's own code for usage)
    3    changed-unverified   a change that nothing could verify
    4    error                our failure or the model server's, before or during the run
    5    not applied          --apply of a resolved change that deletes definitions (needs --force) or conflicts
                              with the working tree (the branch is kept)
    130  cancelled            the user stopped the run (128 + SIGINT, the shell's convention)

Documented in docs/outcomes.md; session/outcome.py defines the statuses.
"""

from __future__ import annotations

from smallcoder.errors import BackendError, SmallcoderError

RESOLVED = 0
UNRESOLVED = 1
USAGE = 2
CHANGED_UNVERIFIED = 3
ERROR = 4
REFUSED = 5
CANCELLED = 130

_BY_STATUS = {
    "resolved": RESOLVED,
    "unresolved": UNRESOLVED,
    "changed-unverified": CHANGED_UNVERIFIED,
    "error": ERROR,
    "cancelled": CANCELLED,
}


def exit_code(status: str) -> int:
    """The exit code of a run that ended with `status` (a session/outcome.py status); ERROR for any other word."""
    return _BY_STATUS.get(status, ERROR)


def error_status(error: BaseException, *, run_started: bool) -> tuple[str, int]:
    """(status, exit code) for an exception that ended `fix`.

    Before a run starts, a SmallcoderError is bad input the user can correct (usage, 2) unless it is the
    model server failing (BackendError: error, 4); once a run has started every failure is an error (4).
    KeyboardInterrupt is cancelled (130). Any other exception is our own failure (error, 4).
    """
    if isinstance(error, KeyboardInterrupt):
        return "cancelled", CANCELLED
    if isinstance(error, SmallcoderError) and not isinstance(error, BackendError) and not run_started:
        return "usage", USAGE
    return "error", ERROR
