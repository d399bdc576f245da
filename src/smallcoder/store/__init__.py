"""The run store: every agent run recorded in SQLite, to list, show, export and replay."""

from smallcoder.store.ids import new_run_id
from smallcoder.store.runs import RunStore

__all__ = ["RunStore", "new_run_id"]
