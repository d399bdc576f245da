"""Code review, the pure part: findings, unified diffs, the checks a finding must pass, output formats.

Ground floor (beside protocol/): no I/O beyond what the caller hands in, no model, no GitHub.

    diff = parse_diff(text)                      # files, hunks, new-side line numbers
    kept, dropped = check_findings(found, diff, read_new)
    print(render(kept, "sarif"))
"""

from smallcoder.review.checks import Dropped, check_findings, merge_duplicates, rank_and_cap
from smallcoder.review.diff import DiffFile, Hunk, ReviewDiff, parse_diff
from smallcoder.review.findings import CATEGORIES, SEVERITIES, Finding, FindingError
from smallcoder.review.formats import FORMATS, render

__all__ = [
    "CATEGORIES", "FORMATS", "SEVERITIES", "DiffFile", "Dropped", "Finding", "FindingError", "Hunk",
    "ReviewDiff", "check_findings", "merge_duplicates", "parse_diff", "rank_and_cap", "render",
]
