"""What a problem statement says about where the code is: names, paths, messages, quoted output.

Users describe bugs by behaviour ("`juxt` only gives output once", "TypeError: … is not
subscriptable", a traceback, the output they saw). Each of those is a clue that needs no model:

    identifiers   `quoted`, called(), Dotted.api.names, snake_case, CamelCase, UPPER_CASE
    paths         file names and traceback frames (`File "x.py", line 3`, `x.py:3`)
    phrases       error messages and quoted text that is not a bare name, as the source may hold it verbatim
    words         every word, for the lexical index (localize/lexical.py)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PATH = re.compile(r"(?<![\w/.-])((?:[\w-]+/)*[\w-]+\.(?:py|pyi|js|jsx|ts|tsx|go|rs|java|c|h|cc|cpp|hpp|rb|php))\b")
_FRAME = re.compile(r'File "([^"]+)", line (\d+)|^\s*([\w./-]+\.\w+):(\d+)', re.MULTILINE)
_BACKTICK = re.compile(r"`([^`\n]{1,80})`")
_CALL = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\s*\(")
_DOTTED = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?![\w(])")
_SNAKE = re.compile(r"(?<![\w.])(_*[a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b")
# camelCase, CamelCase, MRUCache, getHTTPResponse: a capital after the first letter, and a small letter
_CAMEL = re.compile(r"\b((?=[A-Za-z0-9]*[a-z])[A-Za-z][a-z0-9]*[A-Z][A-Za-z0-9]*)\b")
_UPPER = re.compile(r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{4,})\b")
_ERROR = re.compile(r"\b([A-Z]\w*(?:Error|Exception|Warning))\b(?::[ \t]*([^\n]{4,160}))?")
_QUOTED = re.compile(r"\"([^\"\n]{4,120})\"|'([^'\n]{4,120})'")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CODE_NAME = re.compile(r"[A-Za-z_][\w.]*(?:\(\))?")
# Names that say nothing about where a bug lives: what prose and every codebase are made of.
_DULL = frozenset(
    "the and for not but with this that from into when then than none true false self cls args kwargs "
    "return def class import fix fixed fixes issue bug error test tests python use used using".split()
)
_FILE_SUFFIX = re.compile(r"\.(py|pyi|js|jsx|ts|tsx|go|rs|java|c|h|cc|cpp|hpp|rb|php|md|rst|txt|toml|cfg)$")


@dataclass
class Query:
    """The clues of one problem statement; every list is in order of first appearance, without repeats."""

    identifiers: list[str] = field(default_factory=list)  # `Box.area` → "Box.area", "Box", "area"
    paths: list[str] = field(default_factory=list)  # as written: "src/stats.py", "stats.py"
    frames: list[tuple[str, int]] = field(default_factory=list)  # (path as written, 1-based line)
    phrases: list[str] = field(default_factory=list)  # error messages and quoted strings, verbatim
    errors: list[str] = field(default_factory=list)  # exception class names: "TypeError"
    words: list[str] = field(default_factory=list)  # every word of the text (lexical.tokenize splits them)

    @property
    def names(self) -> list[str]:
        """Identifiers as single names (`Box.area` → `Box`, `area`), the form definitions have."""
        out: dict[str, None] = {}
        for ident in self.identifiers:
            for part in ident.split("."):
                if len(part) > 2 and part.lower() not in _DULL:
                    out.setdefault(part, None)
        return list(out)


def extract_query(text: str) -> Query:
    """The clues in `text` (a problem statement, an issue body, test output). Never raises."""
    q = Query()
    identifiers: dict[str, None] = {}
    paths: dict[str, None] = {}
    phrases: dict[str, None] = {}
    errors: dict[str, None] = {}

    for m in _FRAME.finditer(text):
        raw, line = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        q.frames.append((raw, int(line)))
        paths.setdefault(raw, None)
    for m in _PATH.finditer(text):
        paths.setdefault(m.group(1), None)
    for m in _ERROR.finditer(text):
        errors.setdefault(m.group(1), None)
        if m.group(2):
            phrases.setdefault(_unquote(m.group(2)), None)
    for m in _BACKTICK.finditer(text):
        inner = m.group(1).strip()
        if _PATH.fullmatch(inner):
            continue
        if _CODE_NAME.fullmatch(inner):  # `juxt`, `Box.area`, `prompt()`: a name, not a phrase
            identifiers.setdefault(inner.rstrip("()"), None)
            continue
        for name in _CALL.findall(inner) + _WORD.findall(inner):
            identifiers.setdefault(name, None)
        phrases.setdefault(inner, None)
    for m in _QUOTED.finditer(text):
        quoted = (m.group(1) or m.group(2)).strip()
        if not _CODE_NAME.fullmatch(quoted) and not (_PATH.search(quoted) and " " not in quoted):
            phrases.setdefault(quoted, None)
    for pattern in (_CALL, _DOTTED, _SNAKE, _CAMEL, _UPPER):
        for m in pattern.finditer(text):
            name = m.group(1)
            if not _FILE_SUFFIX.search(name):
                identifiers.setdefault(name, None)

    q.identifiers = [i for i in identifiers if len(i) > 2 and i.lower() not in _DULL]
    q.paths = list(paths)
    q.phrases = [p for p in phrases if len(p) >= 4]
    q.errors = list(errors)
    q.words = _WORD.findall(text)
    return q


def _unquote(message: str) -> str:
    """An error message as the code may spell it: without a final period or one pair of enclosing quotes."""
    message = message.strip().rstrip(".")
    if len(message) > 2 and message[0] == message[-1] and message[0] in "'\"`":
        message = message[1:-1]
    return message


def match_paths(written: list[str], files: list[str]) -> list[str]:
    """Repository files the written paths name: the exact path, else a path ending in it (at most 3
    files each: a bare `utils.py` matching many files says nothing). Order of `written` kept."""
    out: dict[str, None] = {}
    known = set(files)
    for raw in written:
        name = raw.replace("\\", "/").lstrip("./")
        if not name:
            continue
        if name in known:
            out.setdefault(name, None)
            continue
        tails = [f for f in files if f.endswith("/" + name) or name.endswith("/" + f)]
        if len(tails) <= 3:
            for f in tails:
                out.setdefault(f, None)
    return list(out)
