"""Findings in the formats tools read: a terminal view, JSON, reviewdog's rdjson, and SARIF 2.1.0.

rdjson: reviewdog's Diagnostic Format (github.com/reviewdog/reviewdog, proto/rdf/jsonschema/DiagnosticResult).
SARIF: OASIS SARIF 2.1.0 (docs.oasis-open.org/sarif/sarif/v2.1.0), the subset GitHub code scanning
reads (docs.github.com/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from smallcoder.errors import ConfigError
from smallcoder.review.findings import CATEGORIES, Finding

FORMATS: tuple[str, ...] = ("text", "json", "rdjson", "sarif")
TOOL_NAME = "smallcoder"
TOOL_URI = "https://github.com/smallcoder/smallcoder"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_RD_SEVERITY = {"critical": "ERROR", "high": "ERROR", "medium": "WARNING", "low": "INFO"}
_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_RULE_TEXT = {"bug": "A change that breaks behaviour", "security": "A change that opens a vulnerability",
              "performance": "A change that makes something needlessly slow", "test_gap": "Changed behaviour no test covers",
              "style": "A readability problem with a concrete cost"}


def render(findings: list[Finding], fmt: str, *, summary: str = "") -> str:
    """The findings as text in `fmt` (one of FORMATS). Raises ConfigError for an unknown format."""
    if fmt == "text":
        return to_text(findings, summary)
    if fmt == "json":
        return json.dumps({"summary": summary, "findings": [f.to_json() for f in findings]}, indent=2)
    if fmt == "rdjson":
        return json.dumps(to_rdjson(findings), indent=2)
    if fmt == "sarif":
        return json.dumps(to_sarif(findings), indent=2)
    raise ConfigError(f"unknown format {fmt!r} — use one of {', '.join(FORMATS)}")


def to_text(findings: list[Finding], summary: str = "") -> str:
    """`path:line: severity category: title`, then the scenario and any suggestion, indented."""
    if not findings:
        return (summary + "\n" if summary else "") + "no findings"
    out = [summary] if summary else []
    for f in findings:
        lines = f"{f.start_line}" if f.end_line == f.start_line else f"{f.start_line}-{f.end_line}"
        out.append(f"{f.path}:{lines}: {f.severity} {f.category.replace('_', ' ')}: {f.title or f.scenario}")
        out.append(f"    {f.scenario}  (confidence {f.confidence:.0%})")
        if f.suggestion:
            out.append("    suggested:")
            out.extend("      " + s for s in f.suggestion.splitlines())
    return "\n".join(out)


def message(f: Finding) -> str:
    """The one message a line comment carries: the title and the failure scenario."""
    return f"{f.title}\n\n{f.scenario}" if f.title and f.title != f.scenario else f.scenario


def to_rdjson(findings: list[Finding]) -> dict[str, Any]:
    """reviewdog's DiagnosticResult: one diagnostic per finding, a suggestion replacing its lines."""
    diagnostics = []
    for f in findings:
        rng = {"start": {"line": f.start_line, "column": 1}, "end": {"line": f.end_line + 1, "column": 1}}
        d: dict[str, Any] = {
            "message": message(f), "severity": _RD_SEVERITY[f.severity], "code": {"value": f.category},
            "location": {"path": f.path, "range": {"start": {"line": f.start_line}, "end": {"line": f.end_line}}},
        }
        if f.suggestion:
            text = f.suggestion if f.suggestion.endswith("\n") else f.suggestion + "\n"
            d["suggestions"] = [{"range": rng, "text": text}]
        diagnostics.append(d)
    return {"source": {"name": TOOL_NAME, "url": TOOL_URI}, "diagnostics": diagnostics}


def to_sarif(findings: list[Finding]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; one rule per category; a stable partial fingerprint per finding
    so code scanning tracks an alert across pushes instead of opening a new one."""
    rules = [{"id": c, "name": c, "shortDescription": {"text": _RULE_TEXT[c]}} for c in CATEGORIES]
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.category, "ruleIndex": CATEGORIES.index(f.category), "level": _SARIF_LEVEL[f.severity],
            "message": {"text": message(f)},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": f.start_line, "endLine": f.end_line}}}],
            "partialFingerprints": {"smallcoderFinding/v1": hashlib.sha256(f.key.encode()).hexdigest()[:32]},
            "properties": {"severity": f.severity, "confidence": f.confidence},
        }
        if f.suggestion:
            text = f.suggestion if f.suggestion.endswith("\n") else f.suggestion + "\n"
            result["fixes"] = [{"description": {"text": "suggested replacement"}, "artifactChanges": [{
                "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                "replacements": [{"deletedRegion": {"startLine": f.start_line, "endLine": f.end_line},
                                  "insertedContent": {"text": text}}]}]}]
        results.append(result)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": TOOL_NAME, "informationUri": TOOL_URI, "rules": rules}},
                      "results": results}]}
