"""The first prompt of a run: the task, the test result, the code it concerns, and a map of the rest.

Everything here is gathered without the model (see agent/context.py), so a
small model can start on the diagnosis at step one instead of searching. When
the task names no file, the likeliest locations (smallcoder.localize: the
task's words and names against the code) take the first part of the map's
budget, so the prompt is no longer than without them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from smallcoder.agent.context import ContextFile, gather_context, task_identifiers
from smallcoder.agent.events import TestRun
from smallcoder.agent.prompts import render
from smallcoder.localize import extract_query, localize, match_paths
from smallcoder.localize.render import render_candidates
from smallcoder.repomap.files import list_files as repo_files
from smallcoder.repomap.testpaths import is_test_path
from smallcoder.types import CHARS_PER_TOKEN
from smallcoder.workspace.test_output import for_model

log = logging.getLogger(__name__)

CONTEXT_SHARE = 0.35  # of the context window, for code shown up front (chars ≈ 3.5 × tokens)
MAP_SHARE = 0.10  # of the context window, for the repo map, at most MAP_MAX_TOKENS
MAP_MAX_TOKENS = 1_024
MAP_TIME_LIMIT_S = 10.0  # a cold build on a huge repository stops here; the cache makes the next one faster
TEST_OUTPUT_CHARS = 2_500
CANDIDATES = 5  # likeliest files shown when the task names none
MIN_MAP_TOKENS = 128  # what is left of the map's budget after the candidates; less is not worth a map
SECTION_TOKENS = 40  # the candidates' heading and fences in task.j2


@dataclass
class FirstPrompt:
    text: str
    focus_file: str | None  # the file the task most likely concerns
    files: list[ContextFile]
    repo_map_tokens: int
    candidates: list[str] = field(default_factory=list)  # likeliest files shown (task named none), best first
    candidate_tokens: int = 0


def build_first_prompt(root: Path, task: str, test_command: str | None, tests_before: TestRun | None,
                       context_window: int, *, show_code: bool = True, show_map: bool = True,
                       offer_code_block: bool = True, show_candidates: bool = True) -> FirstPrompt:
    """show_code/show_map=False leave that part out: the model must find it with its tools.
    offer_code_block=False asks for tool calls only (when code blocks are not applied).
    show_candidates=False keeps the whole map's budget for the map even when the task names no file
    (the candidates are part of the map's budget, so show_map=False leaves them out too)."""
    output = tests_before.output if tests_before else ""
    files = gather_context(root, task, output, char_budget=int(context_window * CONTEXT_SHARE * CHARS_PER_TOKEN))
    python = offer_code_block and bool(files) and files[0].path.endswith(".py")  # offered with or without code
    if not show_code:
        files = []
    budget = min(MAP_MAX_TOKENS, int(context_window * MAP_SHARE))
    listed, listed_tokens = "", 0
    paths: list[str] = []
    if show_map and show_candidates and not _names_source(root, task):
        listed, paths, listed_tokens = _candidates(root, task, output, files, budget)
    repo_map, map_tokens = "", 0
    left = budget - listed_tokens - (SECTION_TOKENS if listed else 0)  # the section's heading counts too
    if show_map and left >= MIN_MAP_TOKENS:
        repo_map, map_tokens = _repo_map(root, task, files, left)
    text = render("task", task=task, test_command=test_command, tests_before=tests_before,
                  tests_before_output=for_model(output, TEST_OUTPUT_CHARS), files=files, repo_map=repo_map, python=python,
                  candidates=listed)
    focus = files[0].path if files else (paths[0] if paths else None)
    return FirstPrompt(text, focus, files, map_tokens, paths, listed_tokens)


def _names_source(root: Path, task: str) -> bool:
    """Does the task name a file of the repository that is not a test? (A reproduction's note names its
    test file, which says nothing about where the fix goes.)"""
    return any(not is_test_path(f) for f in match_paths(extract_query(task).paths, repo_files(root)))


def _candidates(root: Path, task: str, test_output: str, shown: list[ContextFile],
                budget: int) -> tuple[str, list[str], int]:
    """(text, paths, tokens) of the likeliest files for the task, within `budget` tokens."""
    try:
        found = localize(root, task, test_output=test_output, top=CANDIDATES)
    except Exception:  # a ranking failure must not cost the run: the map and the tools remain
        log.warning("localization failed", exc_info=True)
        return "", [], 0
    whole = {f.path for f in shown if not f.partial}
    text, tokens, listed = render_candidates(found.candidates, budget, shown=whole)
    return text, [c.path for c in found.candidates[:listed]], tokens


def _repo_map(root: Path, task: str, shown: list[ContextFile], budget: int) -> tuple[str, int]:
    """Definitions of the files not already shown in full, ranked toward what the task mentions."""
    try:
        from smallcoder.repomap import build_repo_map
    except ImportError:  # tree-sitter grammars not installed: the run works without a map
        return "", 0
    whole = {f.path for f in shown if not f.partial}
    others = [f for f in repo_files(root) if f not in whole]
    if not others or budget < 64:
        return "", 0
    repo_map = build_repo_map(root, files=others, mentioned_files=[f.path for f in shown],
                              mentioned_idents=task_identifiers(task), token_budget=budget,
                              time_limit_s=MAP_TIME_LIMIT_S)
    return repo_map.text.strip(), repo_map.tokens
