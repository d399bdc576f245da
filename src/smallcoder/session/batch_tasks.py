"""Reading a batch's task file: SWE-bench instances and smallcoder's own task lines.

One JSON object a line (JSONL), or a JSON array. Two shapes are accepted:

- SWE-bench instance fields (https://github.com/SWE-bench/SWE-bench, `harness/constants` and the
  dataset cards): `instance_id`, `repo`, `base_commit`, `problem_statement`, and optionally
  `test_patch`, `FAIL_TO_PASS`, `PASS_TO_PASS` (lists, or JSON strings holding lists, as the
  published datasets store them), `environment_setup_commit`, `hints_text`, `version`.
  `repo` may be a local path, a git URL, or `owner/name` (then read from https://github.com).
- smallcoder task lines: `task` (the problem in words), `repo` (path or URL), optional `test_cmd`,
  `base_commit` (default: the repository's HEAD) and `instance_id` (default: `task-<line>`).

Both may carry `test_cmd` (how to run the tests) and `env` (variables for the test runs, e.g.
`{"PYTHONPATH": "src"}`). Every problem is reported with its line number; nothing is silently dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from smallcoder.errors import SmallcoderError

SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


class TaskFileError(SmallcoderError):
    """The task file cannot be read or a line in it is not a task."""


@dataclass(frozen=True)
class BatchTask:
    """One instance of a batch: where the code is, what is wrong, and (optionally) how to judge a fix."""

    instance_id: str
    repo: str  # local path, git URL, or owner/name (GitHub)
    problem_statement: str
    base_commit: str | None = None  # None: the repository's HEAD
    test_patch: str = ""  # hidden from the model; applied only when evaluating
    fail_to_pass: tuple[str, ...] = ()  # test ids that must go from failing to passing
    pass_to_pass: tuple[str, ...] = ()  # test ids that must keep passing
    test_cmd: str | None = None  # how to run the tests (default: detected)
    env: dict[str, str] = field(default_factory=dict)  # extra environment for test runs
    environment_setup_commit: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # other fields, kept for the records

    @property
    def file_id(self) -> str:
        """The instance id made safe for a file name (`/` and spaces become `_`)."""
        return SAFE_ID.sub("_", self.instance_id)[:150] or "task"

    @property
    def evaluable(self) -> bool:
        """True when a hidden test verdict is possible: listed tests, or a test patch with a test command."""
        return bool(self.fail_to_pass or (self.test_patch and self.test_cmd))

    def to_json(self) -> dict[str, Any]:
        """The task as a JSON object (SWE-bench field names for the SWE-bench fields)."""
        data = asdict(self)
        data.update(data.pop("extra"))  # other fields go back to the top level, where they came from
        data["FAIL_TO_PASS"] = list(data.pop("fail_to_pass"))
        data["PASS_TO_PASS"] = list(data.pop("pass_to_pass"))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], line: int = 0) -> BatchTask:
        """Build a task from one object of either shape; raises TaskFileError naming the line."""
        return parse_task(data, line)


def _test_list(value: Any, name: str, line: int) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):  # the published SWE-bench datasets store these lists as JSON strings
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise TaskFileError(f"line {line}: {name} is neither a list nor a JSON list: {value[:60]!r}") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TaskFileError(f"line {line}: {name} must be a list of test ids (strings)")
    return tuple(value)


def _text(data: dict[str, Any], key: str, line: int, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise TaskFileError(f"line {line}: `{key}` is missing or empty")
        return None
    if not isinstance(value, str):
        raise TaskFileError(f"line {line}: `{key}` must be a string, not {type(value).__name__}")
    return value


KNOWN = {"instance_id", "repo", "base_commit", "problem_statement", "task", "test_patch", "FAIL_TO_PASS",
         "PASS_TO_PASS", "test_cmd", "env", "environment_setup_commit"}


def parse_task(data: Any, line: int) -> BatchTask:
    """One task from a decoded JSON object (either shape). Raises TaskFileError naming `line`."""
    if not isinstance(data, dict):
        raise TaskFileError(f"line {line}: expected a JSON object, got {type(data).__name__}")
    repo = _text(data, "repo", line, required=True)
    problem = _text(data, "problem_statement", line, required=False) or _text(data, "task", line, required=False)
    if not problem:
        raise TaskFileError(f"line {line}: no problem — give `problem_statement` (SWE-bench) or `task`")
    env = data.get("env") or {}
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise TaskFileError(f"line {line}: `env` must map names to strings")
    assert repo is not None
    return BatchTask(
        instance_id=_text(data, "instance_id", line, required=False) or f"task-{line}",
        repo=repo, problem_statement=problem,
        base_commit=_text(data, "base_commit", line, required=False),
        test_patch=_text(data, "test_patch", line, required=False) or "",
        fail_to_pass=_test_list(data.get("FAIL_TO_PASS"), "FAIL_TO_PASS", line),
        pass_to_pass=_test_list(data.get("PASS_TO_PASS"), "PASS_TO_PASS", line),
        test_cmd=_text(data, "test_cmd", line, required=False), env=dict(env),
        environment_setup_commit=_text(data, "environment_setup_commit", line, required=False),
        extra={k: v for k, v in data.items() if k not in KNOWN},
    )


def read_tasks(path: Path) -> list[BatchTask]:
    """All tasks in `path` (JSONL or a JSON array), in file order.

    Raises TaskFileError for a missing file, a line that is not JSON or not a task, and for
    two tasks with the same instance_id (results are keyed by it, so one would hide the other).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise TaskFileError(f"cannot read the task file {path}: {e.strerror or e}") from None
    items: list[tuple[int, Any]] = []
    if text.lstrip().startswith("["):
        try:
            items = list(enumerate(json.loads(text), start=1))
        except json.JSONDecodeError as e:
            raise TaskFileError(f"{path}: not valid JSON ({e.msg}, line {e.lineno})") from None
    else:
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            try:
                items.append((number, json.loads(raw)))
            except json.JSONDecodeError as e:
                raise TaskFileError(f"{path} line {number}: not valid JSON ({e.msg})") from None
    tasks = [parse_task(data, number) for number, data in items]
    if not tasks:
        raise TaskFileError(f"{path} holds no tasks")
    seen: dict[str, int] = {}
    for (number, _), task in zip(items, tasks):
        if task.instance_id in seen:
            raise TaskFileError(f"{path} line {number}: instance_id {task.instance_id!r} repeats line {seen[task.instance_id]}")
        seen[task.instance_id] = number
    return tasks


def write_tasks(path: Path, tasks: list[BatchTask]) -> None:
    """Write tasks as JSONL (the format `read_tasks` and `smallcoder batch` read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for task in tasks:
            f.write(json.dumps(task.to_json(), ensure_ascii=False) + "\n")
