"""What a finding must pass before anyone sees it, and how the survivors are merged, ranked and capped.

The rules answer the noise users report from review bots: a comment on a line the change did not
touch, a quote of code that is not there (a hallucination), advice with no concrete failure
("consider adding error handling"), and the same remark three times.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from smallcoder.review.diff import Hunk, ReviewDiff
from smallcoder.review.findings import SEVERITIES, Finding

# A scenario must say what goes wrong: one of these outcome words, in a sentence of some length.
_OUTCOME = re.compile(
    r"\b(rais\w*|throws?|error|exception|crash\w*|fail\w*|wrong|incorrect\w*|never|always|instead|returns?|"
    r"leak\w*|infinite|hang\w*|none|null|empty|overflow\w*|inject\w*|los[et]\w*|drop\w*|skip\w*|miss\w*|"
    r"off[- ]by[- ]one|deadlock\w*|race|typeerror|valueerror|keyerror|indexerror|attributeerror|"
    r"zerodivisionerror|traceback|ignor\w*|corrupt\w*|truncat\w*|duplicat\w*|undefined|unbound)\b", re.I)
# Advice that names no failure, whatever words follow.
_VAGUE_START = re.compile(r"^\s*(consider|it is (recommended|good practice)|you (may|might) want|"
                          r"best practice|for (better )?readability|nit\b)", re.I)
MIN_SCENARIO_CHARS = 20
MIN_PARTIAL_QUOTE = 8
MAX_JOINED = 6  # lines a wrapped statement quoted on one line may span
SEVERITY_WEIGHT = {s: len(SEVERITIES) - i for i, s in enumerate(SEVERITIES)}  # critical 4 … low 1


@dataclass(frozen=True)
class Dropped:
    finding: Finding
    reason: str


def check_findings(findings: list[Finding], diff: ReviewDiff,
                   read_new: Callable[[str], str | None]) -> tuple[list[Finding], list[Dropped]]:
    """Keep the findings that are about changed lines, quote real code and state a failure.

    read_new(path) gives the new side's text of a changed file (None when unreadable). A finding
    whose quote is found elsewhere on changed lines is moved there (small models miscount lines).
    Returns (kept, dropped with the reason)."""
    kept: list[Finding] = []
    dropped: list[Dropped] = []
    for f in findings:
        fixed, reason = _check(f, diff, read_new)
        if fixed is None:
            dropped.append(Dropped(f, reason))
        else:
            kept.append(fixed)
    return kept, dropped


def _check(f: Finding, diff: ReviewDiff, read_new: Callable[[str], str | None]) -> tuple[Finding | None, str]:
    changed = diff.file(f.path)
    if changed is None:
        return None, f"{f.path} is not part of the change"
    f = replace(f, path=changed.path)
    if not scenario_is_concrete(f.scenario):
        return None, "states no concrete failure scenario"
    added = changed.touched_lines  # added lines, and the neighbours of removed ones
    if f.quote.strip():
        text = read_new(changed.path)
        where = find_quote(text or "", f.quote)
        if not where:
            where = _quotes_removed(f, changed.hunks)
            if where:  # removed code has no new-side line: the finding goes where _quotes_removed says
                f = replace(f, start_line=where[0][0], end_line=where[0][1])
        if not where:
            return None, "quotes code that is not in the file"
        if not any(n in added for n in range(f.start_line, f.end_line + 1)):
            on_change = [w for w in where if any(n in added for n in range(w[0], w[1] + 1))]
            if on_change:
                f = replace(f, start_line=on_change[0][0], end_line=on_change[0][1])
    lines = range(f.start_line, f.end_line + 1)
    if not any(n in added for n in lines):
        return None, f"lines {f.start_line}-{f.end_line} were not changed"
    shown = changed.shown_lines  # GitHub takes a line comment only on lines shown in the diff
    inside = [n for n in lines if n in shown]
    return replace(f, start_line=inside[0], end_line=inside[-1]), ""


def _quotes_removed(f: Finding, hunks: tuple[Hunk, ...]) -> list[tuple[int, int]]:
    """Where a finding that quotes removed code belongs (the review prompt shows `-` lines too): the
    lines it names when they are the `+` lines that replaced the quote (small models quote the line
    they compare with), else the neighbour of the removal the quote comes from (a deleted guard has
    no new-side line of its own). [] when the quote is no removed line."""
    for h in hunks:
        if f.start_line in h.added and find_quote(_removed_text(h.text.splitlines()[1:]), f.quote):
            return [(f.start_line, f.end_line)]
    for h in hunks:
        for r in h.removals:
            if r.anchor and find_quote(r.code, f.quote):
                return [(r.anchor, r.anchor)]
    return []


def _removed_text(lines: list[str]) -> str:
    return "\n".join(line[1:] for line in lines if line.startswith("-"))


def scenario_is_concrete(text: str) -> bool:
    """True when `text` reads as a failure ("f([]) raises ZeroDivisionError"), not as advice."""
    text = text.strip()
    return len(text) >= MIN_SCENARIO_CHARS and not _VAGUE_START.match(text) and bool(_OUTCOME.search(text))


def find_quote(text: str, quote: str) -> list[tuple[int, int]]:
    """1-based inclusive line ranges where `quote` occurs in `text`, comparing lines with their
    surrounding whitespace ignored (models re-indent), ' and " alike, and skipping blank quote lines.
    A quote that is not found as written is tried again without what a model copies from the
    numbered diff along with the code (`1573 + `, a leading `+` or `-`)."""
    raw = [q for q in quote.splitlines() if q.strip()]
    have = [_plain(line) for line in text.splitlines()]
    hits = _find(have, [_plain(q) for q in raw])
    bare = [_DIFF_MARK.sub("", q, count=1) for q in raw]
    if not hits and bare != raw:
        hits = _find(have, [_plain(q) for q in bare if q.strip()])
    if not hits:  # a statement a formatter wrapped over several lines, quoted on one (or re-wrapped)
        hits = _find_joined(text.splitlines(), "".join(bare))
    return hits


def _find_joined(lines: list[str], quote: str) -> list[tuple[int, int]]:
    """Ranges of up to MAX_JOINED consecutive lines that, joined and with all whitespace and quote
    style ignored, are exactly `quote` (so ignored too): the model's one-line copy of a wrapped call."""
    want = _squeezed(quote)
    if len(want) < MIN_PARTIAL_QUOTE:
        return []
    squeezed = [_squeezed(line) for line in lines]
    hits = []
    for i in range(len(lines)):
        joined = ""
        for j in range(i, min(len(lines), i + MAX_JOINED)):
            joined += squeezed[j]
            if joined == want:
                hits.append((i + 1, j + 1))
            if len(joined) >= len(want):
                break
    return hits


def _squeezed(text: str) -> str:
    return "".join(text.split()).replace('"', "'")


# A line number and/or a diff marker at the start of a quoted line, as the review prompt shows them.
_DIFF_MARK = re.compile(r"^\s*(?:\d+\s+)?(?:[+-]\s)?")


def _find(have: list[str], want: list[str]) -> list[tuple[int, int]]:
    if not want:
        return []
    # one quoted line may be part of a file line, when it is long enough not to match by chance
    partial = len(want) == 1 and len(want[0]) >= MIN_PARTIAL_QUOTE
    hits = []
    for i in range(len(have) - len(want) + 1):
        if have[i] == want[0] or (partial and want[0] in have[i]):
            j, k = i, 0  # walk the file, skipping its blank lines, matching each quoted line
            while k < len(want) and j < len(have):
                if not have[j]:
                    j += 1
                    continue
                if have[j] != want[k] and not (partial and want[k] in have[j]):
                    break
                j, k = j + 1, k + 1
            if k == len(want):
                hits.append((i + 1, j))
    return hits


def _plain(line: str) -> str:
    """A line as compared with a quote: outer whitespace gone, one quote character (models writing
    JSON turn "x" into 'x' to avoid escaping)."""
    return line.strip().replace('"', "'")


def merge_duplicates(findings: list[Finding], similarity: float = 0.6) -> list[Finding]:
    """Merge findings on the same file whose lines overlap (±2) and whose words say the same thing
    (difflib ratio ≥ similarity on title + scenario, or the same category on the same lines). The
    survivor is the more confident one; `merged` counts how many it stands for."""
    out: list[Finding] = []
    for f in sorted(findings, key=lambda x: -x.confidence):
        for i, g in enumerate(out):
            near = g.path == f.path and f.start_line <= g.end_line + 2 and g.start_line <= f.end_line + 2
            if not near:
                continue
            words = difflib.SequenceMatcher(None, _words(f), _words(g)).ratio()
            same_spot = f.category == g.category and (f.start_line, f.end_line) == (g.start_line, g.end_line)
            if words >= similarity or same_spot:
                out[i] = replace(g, merged=g.merged + f.merged)
                break
        else:
            out.append(f)
    return out


def rank_and_cap(findings: list[Finding], *, limit: int = 10, min_confidence: float = 0.0) -> list[Finding]:
    """Most severe × most confident first (style last at equal score); at most `limit`; below
    `min_confidence` dropped."""
    def score(f: Finding) -> tuple[float, int, str, int]:
        return (-SEVERITY_WEIGHT[f.severity] * f.confidence, f.category == "style", f.path, f.start_line)
    return sorted((f for f in findings if f.confidence >= min_confidence), key=score)[:limit]


def _words(f: Finding) -> str:
    return " ".join(f"{f.title} {f.scenario}".lower().split())
