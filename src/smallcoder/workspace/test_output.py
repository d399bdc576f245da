"""What the model reads of a test run's output: the failures, without the test tooling's noise.

A test log spends much of its length on things that say nothing about the code under test, and
a small model on a laptop CPU pays for every token of it (~100 prompt tokens/s for a 1.5B model
on 2 cores) and is distracted by it. What is condensed here, each by a rule that holds for any
project, and never inside a failure report (pytest's FAILURES/ERRORS sections, unittest's
`FAIL:`/`ERROR:` blocks), where any text may be the evidence:

- warnings raised inside installed packages (a path under `lib/pythonX.Y/site-packages` or `dist-packages`):
  a pytest plugin's configuration warning printed on every run, a library's deprecation notice.
  Both forms Python prints are recognised: a `path.py:N: Category: message` line that starts its
  line, with the message's further lines and the indented source line (`warnings.formatwarning`),
  and an entry of pytest's "warnings summary" section whose warnings are all installed ones (its
  test ids go with it). One note at the end says how many went and from which packages;
- pytest's progress lines (`....... [ 43%]`): those with only passes, skips and expected
  failures are dropped, except the last of a run, which shows how far a run that hung got; a
  line with an `F` or an `E` always stays;
- pytest's rules: the `_ _ _ _` lines between traceback entries are dropped and the long `====`
  and `____` runs around section titles are shortened to three characters;
- terminal colour codes (ANSI escapes), which carry nothing for a model.

The full output stays in the run record (TestRun.output); only the prompt gets this view.
"""

from __future__ import annotations

import re
from collections import Counter

from smallcoder.workspace.truncate import join_cut

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Where installers put packages: a virtualenv's or an interpreter's lib/pythonX.Y/site-packages (Lib\site-packages on
# Windows), Debian's dist-packages. A folder merely named site-packages inside a project is the project's.
INSTALLED = re.compile(r"[/\\](?:lib(?:64)?[/\\](?:python|pypy)[\d.]*[/\\]site-packages|Lib[/\\]site-packages|"
                       r"dist-packages)[/\\](?P<package>[\w.-]+)")
# Python's warning line (warnings.formatwarning): `path.py:lineno: CategoryWarning: message`, the path first.
WARNING_LINE = re.compile(r"^(?P<indent> *)(?P<path>(?:[A-Za-z]:)?[^\s'\"]+\.pyc?):\d+: "
                          r"(?:\w+\.)*(?P<category>\w*Warning): ")
MESSAGE_LINES = 6  # a warning's message may span a few lines before its indented source line
PROGRESS = re.compile(r"^(?:\S+\.py ?)?(?P<marks>[.FEsxXpP]+)\s*\[\s*\d{1,3}%\]\s*$")
FRAME_RULE = re.compile(r"^_(?: _)+\s*$")
TITLE_RULE = re.compile(r"^(?P<c>[=_])(?P=c){5,} (?P<title>.+?) (?P=c){5,}$")
SECTION_TITLE = re.compile(r"^=+ (?P<title>.+?) =+$")
SUMMARY_TITLE = "warnings summary"
REPORT_TITLES = ("FAILURES", "ERRORS")
# pytest's own section titles: inside a failure report only these end it (a test may print `=== X ===` lines).
PYTEST_SECTION = re.compile(r"^(?:test session starts|FAILURES|ERRORS|PASSES|XFAILURES|XPASSES|warnings summary|"
                            r"short test summary info|rerun test summary info|slowest .*durations|.*coverage.*|"
                            r"(?:\d+ \w+.*|no tests ran) in [\d.]+s.*)$")
UNITTEST_REPORT = re.compile(r"^(?:FAIL|ERROR|UNEXPECTED SUCCESS): ")
UNITTEST_END = re.compile(r"^Ran \d+ tests? in ")
DOCS_LINE = re.compile(r"^-- Docs: https?://\S+$")
# Lines that begin something else: a warning's message never runs over them.
STRUCTURE = re.compile(r"^(?:=+|-+|_+ .*|Traceback \(most recent call last\):|\s*File \"|(?:FAIL|ERROR|OK|FAILED|"
                       r"PASSED|SKIPPED|XFAIL|XPASS)\b|[>E] |.* \.\.\. |\S+\.pyc?:\d+: )")


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
    """The test log without installed packages' warnings, pytest's passing progress lines, rule lines and
    colour codes; a last line (`[2 warnings from installed packages left out: pytest_asyncio
    (PytestDeprecationWarning)]`) stands in for the warnings removed."""
    lines = ANSI.sub("", output).splitlines()
    in_report = _report_lines(lines)
    dropped: Counter[str] = Counter()
    lines, in_report = _drop_installed_warnings(lines, in_report, dropped)
    lines, in_report = _drop_installed_summary_entries(lines, in_report, dropped)
    rule = [bool(FRAME_RULE.match(line)) for line in lines]  # first, so progress runs they split are one run
    lines = [line for line, r in zip(lines, rule, strict=True) if not r]
    in_report = [x for x, r in zip(in_report, rule, strict=True) if not r]
    kept: list[str] = []
    for i, line in enumerate(lines):
        progress = None if in_report[i] else PROGRESS.match(line)
        if progress:
            last = not (i + 1 < len(lines) and PROGRESS.match(lines[i + 1]))
            if not last and not set(progress["marks"]) & {"F", "E"}:
                continue  # passes, skips and expected failures only, and more progress follows
            line = re.sub(r"\s+\[", " [", line)  # pytest pads it to the terminal's width
        elif m := TITLE_RULE.match(line):
            line = f"{m['c'] * 3} {m['title']} {m['c'] * 3}"
        kept.append(line)
    if dropped:
        total = sum(dropped.values())
        where = ", ".join(dropped)
        kept.append(f"[{total} warning{'s' if total > 1 else ''} from installed packages left out: {where}]")
    text = "\n".join(kept)
    return text + "\n" if output.endswith("\n") and kept else text


def _report_lines(lines: list[str]) -> list[bool]:
    """For each line, whether it is inside a failure report: pytest's FAILURES or ERRORS section (up to the
    next section title) or a unittest FAIL:/ERROR: block (up to its `Ran N tests` line)."""
    out: list[bool] = []
    inside = False
    for line in lines:
        title = SECTION_TITLE.match(line)
        if title and PYTEST_SECTION.match(title["title"]):
            inside = title["title"] in REPORT_TITLES
        elif UNITTEST_REPORT.match(line):
            inside = True
        elif UNITTEST_END.match(line):
            inside = False
        out.append(inside)
    # unittest prints its `=====` rule line above `FAIL:`: it belongs to the report too
    for i in range(len(lines) - 1):
        if out[i + 1] and UNITTEST_REPORT.match(lines[i + 1]) and set(lines[i]) == {"="}:
            out[i] = True
    return out


def _installed(path: str) -> str | None:
    """The installed package a path is in (`pytest_asyncio`), or None for the project's own code."""
    m = INSTALLED.search(path)
    return m["package"].removesuffix(".py") if m else None


def _drop_installed_warnings(lines: list[str], in_report: list[bool],
                             dropped: Counter[str]) -> tuple[list[str], list[bool]]:
    """Remove `installed/file.py:N: XWarning: …` blocks that start a line outside failure reports: the warning
    line, its message's further lines and the indented source line that ends the block. Without such a source
    line before something else begins, only the warning line goes."""
    kept: list[str] = []
    kept_report: list[bool] = []
    i = 0
    while i < len(lines):
        m = WARNING_LINE.match(lines[i])
        package = _installed(m["path"]) if m and not m["indent"] and not in_report[i] else None
        if not (m and package):
            kept.append(lines[i])
            kept_report.append(in_report[i])
            i += 1
            continue
        dropped[f"{package} ({m['category']})"] += 1
        end = i
        for j in range(i + 1, min(len(lines), i + 2 + MESSAGE_LINES)):
            if in_report[j]:
                break
            if lines[j].startswith("  ") and lines[j].strip() and not lines[j].lstrip().startswith('File "'):
                end = j  # the source line Python prints under the message
                break
            if STRUCTURE.match(lines[j]) or PROGRESS.match(lines[j]) or WARNING_LINE.match(lines[j]):
                break
        had_source = end > i
        i = end + 1
        if had_source and i < len(lines) and not lines[i].strip() and not in_report[i]:
            i += 1  # the blank line Python prints after a block
    return kept, kept_report


def _drop_installed_summary_entries(lines: list[str], in_report: list[bool],
                                    dropped: Counter[str]) -> tuple[list[str], list[bool]]:
    """In pytest's "warnings summary" section, remove the entries whose warnings all come from installed
    packages; the section goes when no entry is left (its docs link with it)."""
    out: list[str] = []
    out_report: list[bool] = []
    i = 0
    while i < len(lines):
        title = SECTION_TITLE.match(lines[i])
        if not (title and title["title"] == SUMMARY_TITLE):
            out.append(lines[i])
            out_report.append(in_report[i])
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not SECTION_TITLE.match(lines[end]) and not DOCS_LINE.match(lines[end]):
            end += 1
        entries = _entries(lines[i + 1 : end])
        kept = []
        for entry in entries:
            packages = _entry_packages(entry)
            if packages:
                dropped.update(packages)
            else:
                kept.append(entry)
        if kept or not entries:  # a section with nothing in it is not ours to remove
            body = [line for e in kept for line in e] if len(kept) < len(entries) else lines[i + 1 : end]
            out.extend([lines[i], *body])
            out_report.extend([False] * (1 + len(body)))
        elif end < len(lines) and DOCS_LINE.match(lines[end]):
            end += 1  # the docs link of a section now empty
        i = end
    return out, out_report


def _entries(body: list[str]) -> list[list[str]]:
    """A warnings summary split into entries: the unindented lines naming where (test ids, several when they
    share the warning) and the indented or blank lines under them."""
    entries: list[list[str]] = []
    for line in body:
        starts = bool(line) and not line[0].isspace()
        if not entries or starts and (entries[-1][-1][:1].isspace() or not entries[-1][-1]):
            entries.append([line])
        else:
            entries[-1].append(line)
    return [e for e in entries if any(s.strip() for s in e)]


def _entry_packages(entry: list[str]) -> list[str]:
    """`package (Category)` for each warning of a summary entry when all are installed ones, else []."""
    found = [m for m in (WARNING_LINE.match(s) for s in entry) if m and m["indent"]]
    packages = [_installed(m["path"]) for m in found]
    if not found or not all(packages):
        return []
    return [f"{p} ({m['category']})" for p, m in zip(packages, found, strict=True)]
