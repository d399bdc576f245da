"""Definitions and references of one source file.

Tree-sitter for the languages in queries.py; a regex definition finder
(fallback.py) for other code files and for any grammar that is missing.
Extraction never raises on bad input: tree-sitter is error tolerant and the
regex path cannot fail.
"""

from __future__ import annotations

from typing import Any

from smallcoder.repomap import fallback
from smallcoder.repomap.definitions import MAX_SIGNATURE, Definition, FileTags, join_lines
from smallcoder.repomap.languages import Grammar, grammar, language_for

MAX_SIGNATURE_LINES = 5  # a header over more lines is cut to its first line

# Nodes whose definitions belong to them (methods of a class, items of an impl).
CONTAINERS = frozenset({
    "class_definition", "class_declaration", "abstract_class_declaration", "class",
    "interface_declaration", "internal_module", "enum_declaration", "record_declaration",
    "annotation_type_declaration", "impl_item", "trait_item", "mod_item", "type_spec",
    "class_specifier", "struct_specifier", "namespace_definition",
})
# Definitions inside these are locals, invisible to the rest of the repository.
FUNCTIONS = frozenset({
    "function_definition", "function_declaration", "generator_function_declaration",
    "method_definition", "arrow_function", "function_expression", "function_item",
    "method_declaration", "constructor_declaration", "lambda", "func_literal",
    "closure_expression", "lambda_expression",
})
_NAMESPACES = frozenset({"internal_module", "mod_item", "namespace_definition"})
_NAME_NODES = frozenset({"identifier", "field_identifier", "type_identifier", "destructor_name", "operator_name"})


def extract_tags(path: str, text: str) -> FileTags | None:
    """Tags of a file; None when it is not a source file we know how to read."""
    lang = language_for(path)
    g = grammar(lang) if lang else None
    if g is not None:
        return _tree_sitter_tags(path, text, g)
    if lang is not None or fallback.handles(path):
        return fallback.regex_tags(path, text)
    return None


def _tree_sitter_tags(path: str, text: str, g: Grammar) -> FileTags:
    import tree_sitter as ts

    src = text.encode("utf-8", "surrogatepass")
    tree = g.parser.parse(src)
    tags = FileTags(path, g.name)
    seen: set[tuple[str, int]] = set()
    refs = tags.references
    for _, caps in ts.QueryCursor(g.query).matches(tree.root_node):
        ref_nodes = caps.get("ref") or caps.get("ref.attr")
        if ref_nodes:
            prefix = "" if "ref" in caps else "."
            for node in ref_nodes:
                name = prefix + _text(node)
                refs[name] = refs.get(name, 0) + 1
            continue
        kind = next((k[4:] for k in caps if k.startswith("def.")), None)
        if kind is None:
            continue
        node = caps["def." + kind][0]
        if "name" in caps:
            name = _text(caps["name"][0])
        else:
            found = _declarator_name(node)
            if found is None:
                continue
            name = found
        parent = _container(node)
        if parent is False:
            continue
        line = node.start_point.row + 1
        if (name, line) in seen or not name:
            continue
        seen.add((name, line))
        parent_line = 0
        if parent is not None:
            parent_line = parent.start_point.row + 1
            tags.lines.setdefault(parent_line, _signature(src, parent))
            if kind == "function" and parent.type not in _NAMESPACES:
                kind = "method"
        tags.lines.setdefault(line, _signature(src, node))
        tags.definitions.append(Definition(name, kind, line, parent_line))
    tags.definitions.sort(key=lambda d: d.line)
    return tags


def _text(node: Any) -> str:
    return bytes(node.text).decode("utf-8", "replace")


def _container(node: Any) -> Any:
    """The nearest enclosing container, None at top level, False anywhere inside a function."""
    found = None
    n = node.parent
    while n is not None:
        if n.type in FUNCTIONS:
            return False  # also a method of a class that is itself local to a function
        if found is None and n.type in CONTAINERS:
            found = n
        n = n.parent
    return found


def _declarator_name(node: Any) -> str | None:
    """Name of a C/C++ function from its declarator chain; None when it is not a function."""
    is_function = False
    n = node
    for _ in range(12):
        d = n.child_by_field_name("declarator")
        if d is None:
            break
        n = d
        is_function = is_function or n.type == "function_declarator"
    while n.type in ("qualified_identifier", "template_function", "template_method"):
        inner = n.child_by_field_name("name")
        if inner is None:
            break
        n = inner
    if not is_function or n.type not in _NAME_NODES:
        return None
    return _text(n)


def _signature(src: bytes, node: Any) -> str:
    """The definition's header as written: from the start of its line to just before its body.

    It ends at the last child before the body that is not a comment, comments
    inside a header over several lines are dropped, and the lines are joined.
    """
    line_start = node.start_byte - node.start_point.column
    body = node.child_by_field_name("body")
    end = None
    comments: list[tuple[int, int]] = []
    if body is not None:
        for child in node.children:
            if child.start_byte >= body.start_byte:
                break
            if "comment" in child.type:
                continue
            end = child.end_byte
            if child.start_point.row != child.end_point.row:  # only multi-line parts can hide comments
                comments += [(g.start_byte, g.end_byte) for g in child.children if "comment" in g.type]
        if end is not None and src.count(b"\n", line_start, end) >= MAX_SIGNATURE_LINES:
            end = None
    if end is None:
        newline = src.find(b"\n", line_start)
        raw = src[line_start : len(src) if newline == -1 else newline]
    else:
        raw = b"".join(src[a:b] for a, b in _gaps(line_start, end, comments))
    lines = raw.decode("utf-8", "replace").split("\n")
    sig = join_lines(lines)
    if end is not None:
        sig = sig.rstrip(" {")  # the brace that opens the body left out
    if len(sig) > MAX_SIGNATURE:
        sig = sig[: MAX_SIGNATURE - 1] + "…"
    return sig


def _gaps(start: int, end: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[start, end) without the holes."""
    spans, pos = [], start
    for a, b in sorted(holes):
        if a > pos:
            spans.append((pos, min(a, end)))
        pos = max(pos, b)
    if pos < end:
        spans.append((pos, end))
    return spans
