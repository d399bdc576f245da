"""Choosing the isolation for a run, and explaining the choice.

    auto       bubblewrap when it works here; else the container engine the
               user configured; else refuse, saying how to fix it
    bwrap      bubblewrap or refuse
    container  the configured engine or refuse
    none       no isolation: only after an explicit opt-in (--no-sandbox or
               `mode = "none"`); rlimits and the environment filter still apply

The choice is made before the run starts (so a refusal leaves nothing
behind) and recorded with the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smallcoder.config import SandboxSettings
from smallcoder.errors import SandboxUnavailable
from smallcoder.sandbox import bwrap, container
from smallcoder.sandbox.limits import limit_tool


@dataclass(frozen=True)
class Isolation:
    kind: str  # "bwrap" | "container" | "none"
    settings: SandboxSettings
    reason: str  # one line: why this isolation

    @property
    def sandboxed(self) -> bool:
        return self.kind != "none"


def choose_isolation(settings: SandboxSettings | None = None) -> Isolation:
    """The isolation to use, or SandboxUnavailable with a one-line fix."""
    settings = settings or SandboxSettings()
    if settings.mode == "none":
        return Isolation("none", settings, "sandbox turned off by the user (--no-sandbox or sandbox.mode = \"none\")")
    info = bwrap.probe()
    if settings.mode in ("auto", "bwrap") and info.usable:
        return Isolation("bwrap", settings, info.reason)
    if settings.mode == "bwrap":
        raise SandboxUnavailable(f"{info.reason}; or pass --no-sandbox to run commands without isolation")
    engine = container.check(settings)
    if engine.usable:
        why = engine.reason if settings.mode == "container" else f"{info.reason}; using {engine.reason}"
        return Isolation("container", settings, why)
    if settings.mode == "container":
        raise SandboxUnavailable(f"{engine.reason}; or pass --no-sandbox to run commands without isolation")
    raise SandboxUnavailable(
        f"no sandbox available: {info.reason}; {engine.reason} — fix one of these, "
        "or pass --no-sandbox to run model-written commands without isolation"
    )


def describe_isolation(settings: SandboxSettings | None = None) -> dict[str, Any]:
    """What `smallcoder doctor` shows: each isolation's availability and the one a run would use.

    `settings` come from the user's config (the `[sandbox]` table), as for a `fix` run; None = defaults.
    """
    settings = settings or SandboxSettings()
    info = bwrap.probe()
    engine = container.check(settings)
    out: dict[str, Any] = {
        "bwrap": {"available": info.usable, "path": info.path, "version": info.version, "detail": info.reason},
        "container": {"available": engine.usable, "engine": settings.container_engine,
                      "image": settings.container_image, "detail": engine.reason},
        "mode": settings.mode,
        "network": settings.allow_network,
        "limits": {**settings.limits.as_dict(), "applied_with": limit_tool()},
    }
    try:
        chosen = choose_isolation(settings)
    except SandboxUnavailable as e:
        out.update(chosen=None, ok=False, detail=str(e))
    else:
        out.update(chosen=chosen.kind, ok=chosen.sandboxed, detail=chosen.reason)
    return out


def isolation_summary(described: dict[str, Any]) -> str:
    """One line for a terminal: what a run would use, or why none can run."""
    if not described.get("chosen"):
        return f"no sandbox can run: {described.get('detail')}"
    if not described.get("ok"):
        return "none — the model's commands run unsandboxed (turned off by the user)"
    network = "network allowed" if described.get("network") else "no network"
    return f"{described['chosen']} ({network}) — {described.get('detail')}"
