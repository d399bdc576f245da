"""A local web viewer of recorded runs (`smallcoder runs serve`).

Reads the run store (read-only) and the benchmark results directory, and serves
server-rendered pages: the runs list, one run's timeline, a comparison of two
runs, and benchmark plots. Sits at the top layer with cli/ (it reads store/ and
nothing imports it but the CLI). Needs the `viewer` extra: Starlette, uvicorn, Pygments.
"""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str) -> object:
    # Importing the package must not need the extra: only the app itself does.
    if name == "create_app":
        from smallcoder.viewer.app import create_app

        return create_app
    raise AttributeError(name)
