"""What the model reads of a test run's output: the failures, without the test tooling's noise.

A test log spends much of its length on things that say nothing about the code under test, and
a small model on a laptop CPU pays for every token of it (~100 prompt tokens/s for a 1.5B model
on 2 cores) and is distracted by it. Three kinds are condensed here, each with a rule that holds
for any project:

- warnings raised inside installed packages (a path under `site-packages` or `dist-packages`):
  a pytest plugin's configuration warning printed on every run, a library's deprecation notice.
  They go in both forms Python prints them: the `file:line: Category: message` block on stderr
  (`warnings.formatwarning`) and an entry of pytest's "warnings summary" section. A one-line note
  says how many were left out, so nothing vanishes silently;
- pytest's progress lines (`....F..x [ 43%]`): a run of them becomes its last line, which still
  shows how far a run that hung or crashed got; the failures and the summary line say the rest;
- pytest's rules: the `_ _ _ _` lines between traceback entries are dropped and the long `====`
  and `____` runs around section titles are shortened to three characters.

The full output stays in the run record (TestRun.output); only the prompt gets this view.
"""

from __future__ import annotations

import re

from smallcoder.workspace.truncate import join_cut

INSTALLED = re.compile(r"[/\\](?:site|dist)-packages[/\\]")
# Python's warning line: `path:lineno: CategoryWarning: message` (warnings.formatwarning).
WARNING_LINE = re.compile(r"^\s*(?P<path>\S.*?):\d+: (?:\w+\.)*\w*Warning: ")
SOURCE_SEARCH_LINES = 12  # a warning's message spans a few lines before its indented source line
PROGRESS = re.compile(r"^(?:\S+\.py )?[.FEsxXpP]+\s*\[\s*\d{1,3}%\]\s*$")
FRAME_RULE = re.compile(r"^_(?: _)+\s*$")
TITLE_RULE = re.compile(r"^(?P<c>[=_])(?P=c){5,} (?P<title>.+?) (?P=c){5,}$")
SUMMARY_TITLE = re.compile(r"^=+ warnings summary =+$")
SECTION_TITLE = re.compile(r"^=+ .+ =+$")
DOCS_LINE = re.compile(r"^-- Docs: https?://\S+$")


def for_model(output: str, max_chars: int) -> str:
    """`output` condensed (see the module docstring), then cut to its last ~max_chars characters at a line
    boundary behind a note saying how much was cut (the end of a test log holds the failures and the summary)."""
    text = condense(output)
    if len(text) <= max_chars:
        return text
    tail = text[len(text) - max_chars :]
    cut = text[: len(text) - max_chars]
    return join_cut("", tail, len(cut), cut.count("\n"))


def condense(output: str) -> str:
    """The test log without installed packages' warnings, pytest's progress runs and rule lines; a note
    (`[2 warnings from installed packages left out]`) stands in for the warnings removed."""
    lines = output.splitlines()
    lines, stderr_warnings = _drop_installed_warnings(lines)
    lines, summary_warnings = _drop_installed_summary_entries(lines)
    kept: list[str] = []
    for i, line in enumerate(lines):
        if FRAME_RULE.match(line):
            continue
        if PROGRESS.match(line) and i + 1 < len(lines) and PROGRESS.match(lines[i + 1]):
            continue  # a run of progress lines keeps its last
        m = TITLE_RULE.match(line)
        if m:
            line = f"{m['c'] * 3} {m['title']} {m['c'] * 3}"
        elif PROGRESS.match(line):
            line = re.sub(r"\s+\[", " [", line)  # pytest pads it to the terminal's width
        kept.append(line)
    dropped = stderr_warnings + summary_warnings
    if dropped:
        kept.insert(0, f"[{dropped} warning{'s' if dropped > 1 else ''} from installed packages left out]")
    text = "\n".join(kept)
    return text + "\n" if output.endswith("\n") and text else text


def _drop_installed_warnings(lines: list[str]) -> tuple[list[str], int]:
    """Remove `installed/file.py:N: XWarning: …` blocks: the warning line, its message's further lines and the
    indented source line that ends the block. Without a source line close below, only the warning line goes."""
    kept: list[str] = []
    dropped = 0
    i = 0
    while i < len(lines):
        m = WARNING_LINE.match(lines[i])
        if not (m and not lines[i].startswith(" ") and INSTALLED.search(m["path"])):
            kept.append(lines[i])
            i += 1
            continue
        dropped += 1
        end = i
        for j in range(i + 1, min(len(lines), i + 1 + SOURCE_SEARCH_LINES)):
            if lines[j].startswith("  ") and lines[j].strip():
                end = j
                break
        i = end + 1
        if i < len(lines) and not lines[i].strip():
            i += 1  # the blank line Python prints after a block
    return kept, dropped


def _drop_installed_summary_entries(lines: list[str]) -> tuple[list[str], int]:
    """In pytest's "warnings summary" section, remove the entries whose warnings all come from installed
    packages; the section goes when no entry is left (its docs link with it)."""
    out: list[str] = []
    dropped = 0
    i = 0
    while i < len(lines):
        if not SUMMARY_TITLE.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not SECTION_TITLE.match(lines[end]) and not DOCS_LINE.match(lines[end]):
            end += 1
        entries = _entries(lines[i + 1 : end])
        kept = [e for e in entries if not _installed_only(e)]
        dropped += len(entries) - len(kept)
        if kept:
            out.append(lines[i])
            for e in kept:
                out.extend(e)
        elif end < len(lines) and DOCS_LINE.match(lines[end]):
            end += 1  # the docs link of a section now empty
        i = end
    return out, dropped


def _entries(body: list[str]) -> list[list[str]]:
    """A warnings summary split into entries: an unindented line (where: a test id or a file) and the
    indented or blank lines under it."""
    entries: list[list[str]] = []
    for line in body:
        if line and not line[0].isspace() or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
    return [e for e in entries if any(s.strip() for s in e)]


def _installed_only(entry: list[str]) -> bool:
    warnings = [m for m in (WARNING_LINE.match(s) for s in entry) if m]
    return bool(warnings) and all(INSTALLED.search(m["path"]) for m in warnings)
