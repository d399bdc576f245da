"""Where a recorded run's time went, per step and in total, from its step timings.

Input: a run as `RunStore.get_run` / `RunReader.detail` return it. Output of `time_split`:

    {"steps": [{"step": 1, "wall_s": .., "prompt_s": .., "generation_s": .., "tools_s": ..,
                "tests_s": .., "overhead_s": ..}, ...],
     "total": {same keys but "step"; plus "outside_steps_s"}}

All figures are seconds. The total's wall is the run's wall time (`runs.wall_s`; for a run
still going or cut short, the sum of its steps and test runs). Time outside the steps —
setting up the worktree, the tests before and after (and those judging a try or a reproduction),
committing — goes to `tests_s` for the
test runs and to `overhead_s` for the rest, so the parts add up to the wall. Runs recorded
before step timings existed have no steps here; their total is then wall and tests only.
"""

from __future__ import annotations

from typing import Any

PARTS = ("prompt_s", "generation_s", "tools_s", "tests_s", "overhead_s")


def time_split(detail: dict[str, Any]) -> dict[str, Any]:
    """Per-step rows (a step that queried the model twice, e.g. after an empty reply, is summed into one
    row) and the run's total; see the module docstring."""
    by_step: dict[int, dict[str, Any]] = {}
    for row in detail.get("step_timings") or []:
        into = by_step.setdefault(row["step"], {"step": row["step"], "wall_s": 0.0, **{p: 0.0 for p in PARTS}})
        for key in ("wall_s", *PARTS):
            into[key] += float(row[key] or 0.0)
    steps = [{k: round(v, 3) if isinstance(v, float) else v for k, v in by_step[s].items()} for s in sorted(by_step)]
    in_steps = sum(s["wall_s"] for s in steps)
    outside_tests = sum(float(t["duration_s"] or 0.0) for t in detail.get("test_runs") or []
                        if t["phase"] != "step")  # before, after, a try's or a reproduction's verdict
    wall = float(detail["run"].get("wall_s") or 0.0) or in_steps + outside_tests
    total = {"wall_s": wall, **{p: sum(s[p] for s in steps) for p in PARTS}}
    total["tests_s"] += outside_tests
    outside = max(0.0, wall - in_steps)
    total["overhead_s"] += max(0.0, outside - outside_tests)
    total["outside_steps_s"] = outside
    return {"steps": steps, "total": {k: round(v, 3) for k, v in total.items()}}


def shares(total: dict[str, float]) -> dict[str, float]:
    """Each part of a total as a fraction of its wall (0 when the wall is 0), e.g. {"prompt_s": 0.61, ...}."""
    wall = total.get("wall_s") or 0.0
    return {p: round(total.get(p, 0.0) / wall, 3) if wall else 0.0 for p in PARTS}
