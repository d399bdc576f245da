"""Definitions, signatures and references per language."""

from __future__ import annotations

import pytest

from smallcoder.repomap.languages import grammar
from smallcoder.repomap.queries import QUERIES
from smallcoder.repomap.tags import FileTags, extract_tags


def defs(path: str, src: str) -> dict[str, tuple[str, int, str]]:
    tags = extract_tags(path, src)
    assert tags is not None
    return {d.name: (d.kind, d.line, tags.lines[d.line]) for d in tags.definitions}


@pytest.mark.parametrize("language", sorted(QUERIES))
def test_every_query_compiles_against_the_installed_grammar(language: str) -> None:
    # A grammar release that renames a node type must fail here, not silently degrade.
    assert grammar(language) is not None


def test_python_definitions_signatures_and_nesting() -> None:
    src = (
        "import os\n"
        "MAX_SIZE = 10\n"
        "lower = 3\n"
        "class Box(Base):\n"
        "    def area(self,\n"
        "             scale: float = 1.0) -> float:\n"
        "        def inner():\n"
        "            pass\n"
        "        return mean(self.values) * scale\n"
        "@decorate\n"
        "def helper(x): return x\n"
    )
    found = defs("a.py", src)
    assert found["MAX_SIZE"] == ("constant", 2, "MAX_SIZE = 10")
    assert found["Box"] == ("class", 4, "class Box(Base):")
    # a signature over two lines is joined; the body is left out
    assert found["area"] == ("method", 5, "    def area(self, scale: float = 1.0) -> float:")
    assert found["helper"] == ("function", 11, "def helper(x):")
    assert "inner" not in found  # locals are invisible to the rest of the repo
    assert "lower" not in found  # only UPPER_CASE module constants
    tags = extract_tags("a.py", src)
    assert tags is not None
    assert next(d for d in tags.definitions if d.name == "area").parent == 4
    assert tags.references["mean"] == 1
    assert tags.references["Base"] == 1


def test_signature_leaves_out_comments_and_body() -> None:
    found = defs("a.py", "class A:\n    def f(self, value):  # why this exists\n        return value\n")
    assert found["f"][2] == "    def f(self, value):"
    found = defs("a.go", "package m\n\nfunc F(a int, // first\n\tb int) int { // trailing\n\treturn a\n}\n")
    assert found["F"][2] == "func F(a int, b int) int"


def test_multi_line_header_is_joined_compactly() -> None:
    found = defs("a.py", "def path(\n    package: str,\n    resource:   str,\n) -> str:\n    pass\n")
    assert found["path"][2] == "def path(package: str, resource: str,) -> str:"
    found = defs("a.h", "#define TWICE(x) \\\n  ((x) * 2)\n")
    assert found["TWICE"][2] == "#define TWICE(x)"  # no dangling line-continuation backslash


def test_uses_through_a_value_are_marked() -> None:
    tags = extract_tags("a.py", "import pkg\npkg.helper()\nhelper()\nbox.area()\nbox.area\n")
    assert tags is not None
    assert tags.references["helper"] == 1 and tags.references[".helper"] == 1
    assert tags.references[".area"] == 2 and "area" not in tags.references
    go = extract_tags("a.go", "package m\nfunc f() { shapes.Total(nil) }\n")
    assert go is not None and go.references["Total"] == 1  # Go's pkg.Func stays a plain use


def test_object_like_c_macros_are_not_definitions() -> None:
    found = defs("a.h", "#ifndef A_H\n#define A_H 1\n#define LIMIT 10\n#define SQ(x) ((x)*(x))\nint f(void);\n#endif\n")
    assert set(found) == {"SQ", "f"}


def test_javascript_and_typescript() -> None:
    js = defs("w.js", "class Box extends Base {\n  area(x) { return helper(x); }\n}\nfunction helper(a) {}\n"
              "const arrow = (a) => a + 1;\nexports.thing = function () {};\n")
    assert js["Box"] == ("class", 1, "class Box extends Base")
    assert js["area"][:2] == ("method", 2)
    assert js["helper"] == ("function", 4, "function helper(a)")
    assert set(js) >= {"arrow", "thing"}
    ts = defs("w.ts", "interface Shape {\n  area(): number;\n}\ntype Alias = string;\nenum Color { Red }\n"
              "export function f(a: Shape): Alias {\n  return a.area();\n}\n")
    assert ts["Shape"] == ("interface", 1, "interface Shape")
    assert ts["Alias"][0] == "type" and ts["Color"][0] == "enum"
    assert ts["f"] == ("function", 6, "export function f(a: Shape): Alias")
    tsx = defs("w.tsx", "export function App(): JSX.Element {\n  return <Widget />;\n}\n")
    assert tsx["App"][0] == "function"
    tags = extract_tags("w.tsx", "export function App() {\n  return <Widget />;\n}\n")
    assert tags is not None and tags.references.get("Widget") == 1


def test_go_rust_java() -> None:
    go = defs("a.go", "package m\ntype Box struct {\n\tW int\n}\nfunc (b *Box) Area() int {\n\treturn 1\n}\n"
              "func helper(x int) int { return x }\n")
    assert go["Box"] == ("type", 2, "type Box struct {")
    assert go["Area"] == ("method", 5, "func (b *Box) Area() int")
    assert go["helper"] == ("function", 8, "func helper(x int) int")
    rs = defs("a.rs", "pub struct Box { w: i32 }\nimpl Box {\n    pub fn area(&self) -> i32 {\n        self.w\n    }\n}\n"
              "trait Shape {}\nmacro_rules! mac { () => {} }\n")
    assert rs["Box"] == ("struct", 1, "pub struct Box")
    assert rs["area"] == ("method", 3, "    pub fn area(&self) -> i32")
    assert rs["Shape"][0] == "trait" and rs["mac"][0] == "macro"
    rs_tags = extract_tags("a.rs", "impl Box {\n    fn area(&self) {}\n}\n")
    assert rs_tags is not None and rs_tags.lines[1] == "impl Box"  # the impl line is kept as context
    java_src = "public class Box extends Base {\n  public Box(int w) {}\n  public int area() { return 1; }\n}\n"
    java = extract_tags("A.java", java_src)
    assert java is not None
    assert [(d.name, d.kind, d.line) for d in java.definitions] == [
        ("Box", "class", 1), ("Box", "method", 2), ("area", "method", 3),  # the constructor is a method
    ]
    assert java.lines[3] == "  public int area()"


def test_c_and_cpp_declarators() -> None:
    c = defs("a.c", "struct box { int w; };\nstatic int helper(int x) { return x; }\nint *\narea(struct box *b)\n{ return 0; }\n"
             "long *make(long v);\nint counter;\n#define MAX(a, b) ((a) > (b) ? (a) : (b))\n")
    assert c["box"][0] == "struct"
    assert c["helper"] == ("function", 2, "static int helper(int x)")
    assert c["area"] == ("function", 3, "int * area(struct box *b)")  # K&R-style return type line joined
    assert c["make"][0] == "function"  # a prototype returning a pointer
    assert "counter" not in c  # a variable, not a function
    assert c["MAX"][0] == "macro"
    cpp = defs("a.hpp", "namespace ns {\nclass Box : public Base {\n public:\n  int area() const { return 1; }\n"
               "  void grow(int by);\n};\nvoid Box::grow(int by) {}\n}\n")
    assert cpp["ns"][0] == "module" and cpp["Box"][0] == "class"
    assert cpp["area"] == ("method", 4, "  int area() const")
    assert {line for _, line, _ in [cpp["grow"]]} <= {5, 7}


def test_regex_fallback_for_other_languages() -> None:
    rb = extract_tags("a.rb", "module Shapes\n  class Box < Base\n    def area\n      1\n    end\n  end\nend\n")
    assert rb is not None and rb.language == "regex"
    assert [(d.name, d.kind, d.line, d.parent) for d in rb.definitions] == [
        ("Shapes", "module", 1, 0), ("Box", "class", 2, 1), ("area", "function", 3, 2),
    ]
    assert rb.references["Base"] == 1
    cs = defs("a.cs", "public class Box {\n    public int Area() { return 1; }\n}\n")
    assert cs["Area"][:2] == ("method", 2)
    sh = defs("b.sh", "build() {\n  make\n}\n")
    assert sh["build"][:2] == ("function", 1)


def test_unknown_extension_is_not_a_source_file() -> None:
    assert extract_tags("README.md", "# def not_code():") is None
    assert extract_tags("data.json", "{}") is None


@pytest.mark.parametrize("path", ["bad.py", "bad.js", "bad.go", "bad.rs", "bad.c", "bad.cpp", "bad.java", "bad.ts"])
def test_broken_source_does_not_raise(path: str) -> None:
    src = "def ok(x):\n    return x\n}}}{{{ class ( ][ \n\x00\x01 fn func @@@\ndef also_ok():\n    pass\n"
    tags = extract_tags(path, src)
    assert tags is not None


def test_broken_python_still_yields_the_good_definitions() -> None:
    found = defs("b.py", "def ok(x):\n    return x\n\ndef broken(:\n    pass\n\nclass Fine:\n    pass\n")
    assert "ok" in found and "Fine" in found


def test_json_round_trip() -> None:
    tags = extract_tags("a.py", "class A:\n    def m(self):\n        return f(1)\n")
    assert tags is not None
    again = FileTags.from_json("a.py", tags.to_json())
    assert again == tags


def test_language_pack_is_used_only_for_grammars_already_on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    import tree_sitter_python

    from smallcoder.repomap import languages

    asked: list[str] = []
    pack = types.ModuleType("tree_sitter_language_pack")
    pack.downloaded_languages = lambda: ["python"]  # type: ignore[attr-defined]

    def get_language(name: str) -> object:
        asked.append(name)
        import tree_sitter

        return tree_sitter.Language(tree_sitter_python.language())

    pack.get_language = get_language  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tree_sitter_language_pack", pack)
    monkeypatch.setattr(languages, "_from_wheel", lambda name: None)  # as if no grammar wheel were installed
    grammar.cache_clear()
    try:
        assert grammar("python") is not None  # on disk: used
        assert grammar("go") is None  # not on disk: never fetched, so the regex fallback takes over
        assert asked == ["python"]
        tags = extract_tags("a.go", "package m\nfunc Run() {}\n")
        assert tags is not None and tags.language == "regex" and tags.definitions[0].name == "Run"
    finally:
        grammar.cache_clear()
