"""Node, Rust, Go and Java toolchains: what a run needs to build and test offline with the user's caches.

    Node   package manager from the lock file (pnpm-lock.yaml, yarn.lock, bun.lockb, package-lock.json);
           the repository's node_modules shown in the worktree read-only; npm_config_offline
    Rust   cargo with the user's CARGO_HOME (registry cache) and rustup toolchains read-only; CARGO_NET_OFFLINE
    Go     the module cache (GOMODCACHE) read-only, GOPROXY=off, GOFLAGS=-mod=readonly; a private build
           cache under /tmp
    Java   Maven's local repository (~/.m2) or Gradle's user home read-only; offline flags in the test command
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from smallcoder.workspace.environment import Environment

# Gradle locks files in its user home even offline, so a read-only one fails (docs/environments.md).
GRADLE_NOTE = "gradle needs a writable user home: the sandbox shows it read-only; use --no-sandbox or a container"
LOCKFILES = (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("bun.lockb", "bun"), ("bun.lock", "bun"),
             ("package-lock.json", "npm"), ("npm-shrinkwrap.json", "npm"))


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    return str(Path(found).resolve()) if found else None


def _version(exe: str | None) -> str | None:
    """`exe --version`, first line without a leading v (node prints v20.1.0), or None."""
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10,
                             stdin=subprocess.DEVNULL, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.splitlines()[0].lstrip("v") if out else None


def _existing(*paths: Path) -> tuple[str, ...]:
    return tuple(str(p) for p in paths if p.exists())


def node_package_manager(repo: Path) -> tuple[str, str | None]:
    """(manager, its lock file) — npm without a lock file."""
    for lock, manager in LOCKFILES:
        if (repo / lock).is_file():
            return manager, lock
    return "npm", None


def node_environment(repo: Path) -> Environment | None:
    if not (repo / "package.json").is_file():
        return None
    manager, lock = node_package_manager(repo)
    node = _tool("node")
    source = f"package.json + {lock}" if lock else "package.json (no lock file)"
    notes = () if node else ("node is not on PATH",)
    variables = (("npm_config_offline", "true"), ("npm_config_update_notifier", "false"), ("CI", "true"))
    return Environment(
        language="node", kind=manager, source=source, executable=node, version=_version(node),
        read_only=_existing(Path(node).parent.parent) if node else (),
        variables=variables, provision=("node_modules",), notes=notes,
    )


def rust_environment(repo: Path) -> Environment | None:
    if not (repo / "Cargo.toml").is_file():
        return None
    cargo_home = Path(os.environ.get("CARGO_HOME") or _home() / ".cargo")
    rustup_home = Path(os.environ.get("RUSTUP_HOME") or _home() / ".rustup")
    return Environment(
        language="rust", kind="cargo", source="Cargo.toml", executable=_tool("cargo"), prefix=str(cargo_home),
        variables=(("CARGO_NET_OFFLINE", "true"), ("CARGO_HOME", str(cargo_home)),
                   ("RUSTUP_HOME", str(rustup_home))),
        read_only=_existing(cargo_home, rustup_home),
    )


def go_environment(repo: Path) -> Environment | None:
    if not (repo / "go.mod").is_file():
        return None
    gopath = Path(os.environ.get("GOPATH") or _home() / "go")
    modcache = Path(os.environ.get("GOMODCACHE") or gopath / "pkg" / "mod")
    return Environment(
        language="go", kind="go", source="go.mod", executable=_tool("go"), prefix=str(modcache),
        # The module cache is read-only in the sandbox, so nothing may be downloaded or rewritten there;
        # the build cache must be writable and lives in the sandbox's private /tmp.
        variables=(("GOMODCACHE", str(modcache)), ("GOPROXY", "off"), ("GOFLAGS", "-mod=readonly"),
                   ("GOCACHE", "/tmp/smallcoder-go-build"), ("GOTOOLCHAIN", "local")),
        read_only=_existing(modcache),
    )


def java_environment(repo: Path) -> Environment | None:
    if (repo / "pom.xml").is_file():
        m2 = _home() / ".m2"
        return Environment(language="java", kind="maven", source="pom.xml", executable=_tool("mvn"),
                           prefix=str(m2 / "repository"), read_only=_existing(m2 / "repository"),
                           variables=(("MAVEN_OPTS", f"-Dmaven.repo.local={m2 / 'repository'}"),))
    gradle = next((n for n in ("build.gradle", "build.gradle.kts") if (repo / n).is_file()), None)
    if gradle:
        home = Path(os.environ.get("GRADLE_USER_HOME") or _home() / ".gradle")
        return Environment(language="java", kind="gradle", source=gradle,
                           executable=str(repo / "gradlew") if (repo / "gradlew").is_file() else _tool("gradle"),
                           prefix=str(home), read_only=_existing(home),
                           notes=(GRADLE_NOTE,))
    return None


def other_environments(repo: Path) -> list[Environment]:
    """Every non-Python toolchain the repository root shows signs of, in a fixed order."""
    found = [f(repo) for f in (node_environment, rust_environment, go_environment, java_environment)]
    return [e for e in found if e is not None]
