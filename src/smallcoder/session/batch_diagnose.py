"""Where a batch run went wrong: one stage per record, told from what the record (and its task) holds.

The stages, checked in this order (the first that fits is the answer), and the evidence each needs:

    resolved        outcome "resolved" — not a failure
    not_evaluated   outcome "not_evaluated" (--no-eval with the gold pseudo-model) — not judged
    env_error       outcome "env_error": the task's tests cannot run without any change
    error           outcome "error": our failure or the model server's
    timeout         outcome "timeout": the driver killed the instance at its time limit; or the agent
                    stopped itself at its own time limit (`stop_reason` "limits_exceeded", a time-limit
                    `stop_message`: batch gives it most of the instance's limit)
    out_of_steps    the agent stopped on its step limit: `stop_reason` "limits_exceeded" with a step-limit
                    `stop_message`; in records older than those fields, `steps` > `max_steps`, or the
                    run's reason (`run_reason`) naming the step limit. Other limits (token budget, full
                    context) and stuck or format-error ends are judged by the patch below.
    no_patch        `model_patch` is empty: the model changed nothing
    wrong_file      the patch touches none of the files the gold patch changes, changelogs and docs set
                    aside (code_files) — needs the gold patch (the task's `patch`, else the record's
                    `gold_files`)
    wrong_edit      it touches a gold file, but a FAIL_TO_PASS test still fails, or the tests never ran on
                    it (the patch, or the test patch after it, did not apply) — needs `evaluation`
    broke_tests     every FAIL_TO_PASS test passes, but a PASS_TO_PASS test fails — needs `evaluation`
    unknown         the record lacks what the stage needs (no gold patch, no per-test results, an
                    outcome this module does not know)

A run stopped by a limit is `timeout`/`out_of_steps` whatever its patch: it did not finish, so the
patch it left is not its answer. What that patch shows is told apart by `patch_left` (the same
no_patch … broke_tests rules, however the run ended): with a tight limit every failed run is
out_of_steps, and only the patch says whether it had found the code. A run the driver killed left no
patch in its record: that is `unknown`, not no_patch. File sets come from the diffs' headers
(renames count both names; /dev/null is no file), read by unidiff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from smallcoder.errors import ConfigError
from smallcoder.review.diff import parse_diff
from smallcoder.session.batch_tasks import BatchTask

FAILURE_STAGES = ("no_patch", "wrong_file", "wrong_edit", "broke_tests", "out_of_steps", "timeout",
                  "env_error", "error", "unknown")
STAGES = ("resolved", "not_evaluated", *FAILURE_STAGES)
PATCH_STAGES = ("no_patch", "wrong_file", "wrong_edit", "broke_tests", "unknown")  # patch_left's answers
LIMIT_STAGES = ("out_of_steps", "timeout")

_STEP_LIMIT = re.compile(r"\bstep limit\b")
_TIME_LIMIT = re.compile(r"\btime limit\b")
_NOT_APPLIED = "does not apply"  # evaluate.py's reason when the tests never ran on the patch
_DEV_NULL = "/dev/null"
# Files a fix updates to record itself, not to fix anything (matched on the path, case-insensitive).
_RECORD_ONLY = re.compile(r"(?i)(^|/)(changelog|changes|news|history|authors|contributors|release[-_]?notes)"
                          r"(\.[a-z]+)?$|\.(md|rst|txt)$|(^|/)docs?/")


def _unquote(name: str) -> str:
    """A git path as written in a header, without git's C-style quotes ("a/t\\303\\251.py" → a/té.py)."""
    if len(name) >= 2 and name[0] == name[-1] == '"':
        raw = name[1:-1].encode("ascii", "backslashreplace").decode("unicode_escape")
        return raw.encode("latin-1").decode("utf-8", "replace")
    return name


def _strip_prefix(name: str) -> str:
    name = _unquote(name)
    return name[2:] if name.startswith(("a/", "b/")) else name


def patch_files(patch: str) -> frozenset[str] | None:
    """Every path `patch` changes, old and new names of a rename both; None when it cannot be read."""
    if not patch.strip():
        return frozenset()
    try:
        files = parse_diff(patch).files
    except ConfigError:  # unidiff missing, or not a diff
        return None
    names = {_strip_prefix(n) for f in files for n in (f.path, f.old_path)}
    names.discard(_DEV_NULL)
    return frozenset(names)


def gold_files(record: Mapping[str, Any], task: BatchTask | None = None) -> frozenset[str] | None:
    """The files the task's own fix changes: from the task's `patch`, else the record's `gold_files`."""
    patch = task.extra.get("patch") if task is not None else None
    if isinstance(patch, str) and patch.strip():
        return patch_files(patch)
    listed = record.get("gold_files")
    if isinstance(listed, list) and listed:
        return frozenset(str(p) for p in listed)
    return None


def code_files(files: frozenset[str]) -> frozenset[str]:
    """`files` without the ones that only record the change (a changelog, release notes, AUTHORS,
    Markdown or reStructuredText docs), unless nothing else is left: a model that only wrote a
    changelog entry did not find the code."""
    code = frozenset(f for f in files if not _RECORD_ONLY.search(f))
    return code or files


def _out_of_time(record: Mapping[str, Any]) -> bool:
    return (record.get("stop_reason") == "limits_exceeded"
            and bool(_TIME_LIMIT.search(str(record.get("stop_message") or ""))))


def _out_of_steps(record: Mapping[str, Any]) -> bool:
    stop = record.get("stop_reason")
    if stop:  # the run says how it ended: trust it over counting
        return stop == "limits_exceeded" and bool(_STEP_LIMIT.search(str(record.get("stop_message") or "")))
    steps, limit = record.get("steps"), record.get("max_steps")
    if isinstance(steps, int) and isinstance(limit, int) and steps > limit:  # the loop counts the step it refused
        return True
    return bool(_STEP_LIMIT.search(str(record.get("run_reason") or "")))


def _results(evaluation: Mapping[str, Any], key: str) -> dict[str, bool]:
    value = evaluation.get(key)
    return {str(k): bool(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _after_right_file(record: Mapping[str, Any], task: BatchTask | None) -> str:
    """wrong_edit, broke_tests or unknown, from the evaluation's per-test results."""
    evaluation = record.get("evaluation")
    if not isinstance(evaluation, dict):
        return "unknown"
    f2p, p2p = _results(evaluation, "fail_to_pass"), _results(evaluation, "pass_to_pass")
    if f2p and not all(f2p.values()):
        return "wrong_edit"
    if f2p and p2p and not all(p2p.values()):
        return "broke_tests"
    if f2p or p2p:
        return "unknown"  # every listed test passes yet unresolved (the tests timed out): nothing to blame
    never_ran = (task is not None and bool(task.fail_to_pass)) or _NOT_APPLIED in str(evaluation.get("reason"))
    return "wrong_edit" if never_ran else "unknown"


def diagnose(record: Mapping[str, Any], task: BatchTask | None = None) -> str:
    """The stage (one of STAGES) where the run of `record` went wrong; see the module doc for the rules.

    `task` gives the gold patch and the listed tests; without it the record's `gold_files` stands in.
    """
    outcome = str(record.get("outcome") or "")
    if outcome in ("resolved", "not_evaluated", "env_error", "error", "timeout"):
        return outcome
    if outcome != "unresolved":
        return "unknown"
    if _out_of_steps(record):
        return "out_of_steps"
    if _out_of_time(record):
        return "timeout"
    return patch_left(record, task)


def patch_left(record: Mapping[str, Any], task: BatchTask | None = None) -> str:
    """What the patch of an unresolved run shows, however the run ended: one of PATCH_STAGES.

    A killed run (`timeout` with no patch and no evaluation in its record) is `unknown`: its patch was
    never collected."""
    patch = str(record.get("model_patch") or "")
    if record.get("outcome") == "timeout" and not patch.strip() and not record.get("evaluation"):
        return "unknown"
    changed = patch_files(patch)
    if changed is not None and not changed:
        return "no_patch"
    gold = gold_files(record, task)
    if changed is None or gold is None:
        return "unknown"
    if not changed & code_files(gold):
        return "wrong_file"
    return _after_right_file(record, task)


def stage_counts(stages: Iterable[str], names: tuple[str, ...] = STAGES) -> dict[str, int]:
    """How many of `stages` fall in each of `names` (every one present, zero when none; others count as
    unknown)."""
    counts = dict.fromkeys(names, 0)
    for stage in stages:
        counts[stage if stage in counts else "unknown"] += 1
    return counts
