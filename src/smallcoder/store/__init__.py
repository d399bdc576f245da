"""The run store: every agent run recorded in SQLite, to list, show, export and replay."""

from smallcoder.store.ids import new_run_id
from smallcoder.store.paths import db_path, smallcoder_home, worktrees_dir
from smallcoder.store.redact import redact
from smallcoder.store.runs import RunStore

__all__ = ["RunStore", "db_path", "new_run_id", "redact", "smallcoder_home", "worktrees_dir"]
