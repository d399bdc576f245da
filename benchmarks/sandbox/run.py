"""Sandbox overhead benchmark: wall time per command, sandboxed vs not.

    PYTHONPATH=src .venv/bin/python benchmarks/sandbox/run.py [--rounds N] [--pytest-rounds N] [--out DIR --name STEM]

Runs each command through smallcoder's command runner (workspace/runner.py), the
way the agent runs it, in a real git worktree of a small Python project:

- `true` (the fixed cost of starting a command), and
- the project's test suite with pytest (a typical agent command),

under three set-ups, interleaved round by round so background load hits all
of them alike: no wrapper at all, isolation "none" (env filter + rlimits only),
and bubblewrap (the default). Writes benchmarks/results/sandbox.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from smallcoder.sandbox import SandboxSettings, choose_isolation, open_sandbox  # noqa: E402
from smallcoder.sandbox.bwrap import probe  # noqa: E402
from smallcoder.workspace.runner import run_command  # noqa: E402
from smallcoder.workspace.worktree import create_worktree  # noqa: E402

COMMAND = "PYTHONPATH=src python benchmarks/sandbox/run.py"
RESULTS = ROOT / "benchmarks" / "results"
N_TESTS = 30


def make_project(base: Path) -> Path:
    """A git repository with a module and N_TESTS small pytest tests."""
    repo = base / "project"
    repo.mkdir()
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    tests = "\n".join(f"def test_add_{i}():\n    assert add({i}, 1) == {i + 1}\n" for i in range(N_TESTS))
    (repo / "test_calc.py").write_text("from calc import add\n\n" + tests)
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for args in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    return repo


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"median_ms": round(statistics.median(ordered) * 1000, 2), "p10_ms": round(pick(0.1) * 1000, 2),
            "p90_ms": round(pick(0.9) * 1000, 2), "n": len(ordered)}


def measure(command: str, cwd: Path, wraps: dict[str, Callable[[list[str]], list[str]] | None],
            rounds: int, timeout: float) -> dict[str, dict[str, float]]:
    samples: dict[str, list[float]] = {name: [] for name in wraps}
    for name, wrap in wraps.items():  # one warm-up each: page cache, bytecode
        run_command(command, cwd, timeout=timeout, wrap=wrap)
    for _ in range(rounds):
        for name, wrap in wraps.items():
            start = time.perf_counter()
            res = run_command(command, cwd, timeout=timeout, wrap=wrap)
            samples[name].append(time.perf_counter() - start)
            if not res.ok:
                raise SystemExit(f"{name}: `{command}` failed: {res.output[-500:]}")
    return {name: stats(s) for name, s in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="rounds for the trivial command")
    parser.add_argument("--pytest-rounds", type=int, default=10, help="rounds for the pytest run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where sandbox.json/.md go")
    parser.add_argument("--name", default="sandbox", help="file name stem of the results")
    args = parser.parse_args()
    info = probe()
    if not info.usable:
        raise SystemExit(f"bubblewrap is not usable here: {info.reason}")

    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as tmp:
        base = Path(tmp)
        repo = make_project(base)
        wt = create_worktree(repo, "bench", base / "worktrees")
        none = open_sandbox(choose_isolation(SandboxSettings(mode="none")), wt.path, repo=repo, run_id="bench-none")
        bwrap = open_sandbox(choose_isolation(SandboxSettings(mode="bwrap")), wt.path, repo=repo, run_id="bench")
        wraps = {"unwrapped": None, "none (env + rlimits)": none.wrap, "bwrap": bwrap.wrap}
        load_before = os.getloadavg()
        trivial = measure("true", wt.path, wraps, args.rounds, 30)
        # Plugin autoloading is off: third-party plugins in a big environment add seconds of noise, not signal.
        pytest_cmd = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q -p no:cacheprovider"
        pytest_run = measure(pytest_cmd, wt.path, wraps, args.pytest_rounds, 120)
        load_after = os.getloadavg()
        record = bwrap.record()
        none.close()
        bwrap.close()

    report: dict[str, Any] = {
        "command": " ".join([COMMAND, *sys.argv[1:]]),
        "machine": {"os": _os_name(), "cpus": os.cpu_count(), "kernel": platform.release(),
                    "python": f"{platform.python_version()} ({sys.executable})",
                    "bwrap": info.version, "euid": os.geteuid(),
                    "loadavg_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)]},
        "process_limit": record.get("process_limit"),
        "trivial_command": {"command": "true", **trivial},
        "pytest_run": {"command": f"python -m pytest -q ({N_TESTS} tests, no plugins)", **pytest_run},
    }
    for key in ("trivial_command", "pytest_run"):
        base_ms = report[key]["unwrapped"]["median_ms"]
        report[key]["bwrap_overhead_ms"] = round(report[key]["bwrap"]["median_ms"] - base_ms, 2)
        report[key]["bwrap_overhead_pct"] = round(100 * (report[key]["bwrap"]["median_ms"] / base_ms - 1), 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"{args.name}.md").write_text(markdown(report))
    print(markdown(report))


def _os_name() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", "Linux")
    except OSError:
        return "Linux"


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        "# Sandbox overhead",
        "",
        f"Command: `{r['command']}`",
        "",
        f"Machine: {m['os']}, {m['cpus']} CPUs, kernel {m['kernel']}, Python {m['python']}, bubblewrap {m['bwrap']}, "
        f"euid {m['euid']} (process limit: {r['process_limit']}); 1-minute load average "
        f"{m['loadavg_1m_before_after'][0]} before, {m['loadavg_1m_before_after'][1]} after.",
        "",
        "Wall time of one command through smallcoder's command runner (spawn, capture, reap), "
        "set-ups interleaved round by round.",
        "",
        "| command | set-up | median | p10 | p90 | n |",
        "|---|---|---|---|---|---|",
    ]
    for key in ("trivial_command", "pytest_run"):
        for setup in ("unwrapped", "none (env + rlimits)", "bwrap"):
            s = r[key][setup]
            lines.append(f"| {r[key]['command']} | {setup} | {s['median_ms']} ms | {s['p10_ms']} ms | "
                         f"{s['p90_ms']} ms | {s['n']} |")
    lines += [
        "",
        f"bwrap overhead (median): {r['trivial_command']['bwrap_overhead_ms']} ms per trivial command; "
        f"{r['pytest_run']['bwrap_overhead_ms']} ms ({r['pytest_run']['bwrap_overhead_pct']}%) on a pytest run.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
