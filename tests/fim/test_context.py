"""Context from other files: imports resolved, definitions found, near-duplicates dropped, budget kept."""

from pathlib import Path

from smallcoder.fim.context import ContextGatherer, EditorState, Snippet, fit, order_for_cache
from smallcoder.fim.definitions import block_at, resolve_imports


def make_repo(root: Path) -> None:
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "geometry.py").write_text(
        "import math\n\n\ndef area(radius):\n    \"\"\"Area of a circle.\"\"\"\n    return math.pi * radius ** 2\n\n\n"
        "def perimeter(radius):\n    return 2 * math.pi * radius\n\n\nclass Unused:\n    pass\n"
    )
    (root / "pkg" / "units.py").write_text("CM_PER_INCH = 2.54\n\n\ndef to_cm(inches):\n    return inches * CM_PER_INCH\n")
    (root / "app.py").write_text("from pkg.geometry import area\nfrom pkg import units\n\n\ndef report(r):\n    a = area(r)\n")


def test_imports_resolve_to_files_and_names(tmp_path):
    make_repo(tmp_path)
    text = (tmp_path / "app.py").read_text()
    got = resolve_imports(tmp_path, "app.py", text)
    assert got["pkg/geometry.py"] == {"area"}
    assert got["pkg/units.py"] is None  # `from pkg import units` imports a module
    assert "pkg/__init__.py" in got


def test_relative_imports(tmp_path):
    make_repo(tmp_path)
    got = resolve_imports(tmp_path, "pkg/units.py", "from .geometry import perimeter\n")
    assert got == {"pkg/geometry.py": {"perimeter"}}


def test_block_at_takes_the_indented_body():
    lines = "def a():\n    x = 1\n\n    return x\n\ndef b():\n    pass\n".split("\n")
    assert block_at(lines, 1) == "def a():\n    x = 1\n\n    return x"
    js = "function f() {\n  return 1;\n}\nconst g = 2;".split("\n")
    assert block_at(js, 1) == "function f() {\n  return 1;\n}"


def test_gather_finds_the_imported_definition_used_near_the_cursor(tmp_path):
    make_repo(tmp_path)
    text = (tmp_path / "app.py").read_text() + "    p = "
    state = EditorState("app.py", text, line=6, col=8, root=tmp_path)
    files = ContextGatherer().gather(state, window=text, budget_tokens=400, count=lambda s: len(s) // 4)
    bodies = "\n".join(f.text for f in files)
    assert any(f.path == "pkg/geometry.py" for f in files)
    assert "def area(radius):" in bodies
    assert "class Unused" not in bodies  # neither imported nor used


def test_budget_is_respected_and_duplicates_of_the_window_dropped():
    window = "a = 1\nb = 2\nc = 3\n"
    snippets = [
        Snippet("x.py", "a = 1\nb = 2\nc = 3\n", 1, "open"),  # the window itself: dropped
        Snippet("y.py", "def big():\n" + "    pass\n" * 50, 1, "open"),  # too big for the budget
        Snippet("z.py", "def small():\n    return 0\n", 1, "definition"),
        Snippet("w.py", "def small():\n    return 0\n", 9, "open"),  # same as z.py: dropped
    ]
    taken = fit(snippets, window=window, budget_tokens=30, count=lambda s: len(s) // 4)
    assert [s.path for s in taken] == ["z.py"]


def test_order_keeps_stable_kinds_first():
    s = [Snippet("e.py", "e", 1, "edit"), Snippet("b.py", "o", 1, "open"), Snippet("a.py", "d", 1, "definition")]
    assert [x.kind for x in order_for_cache(s)] == ["definition", "open", "edit"]


def test_open_file_chunks_ranked_by_likeness(tmp_path):
    state = EditorState("m.py", "total = compute_total(items)\n", 0, 29, root=None,
                        open_files={"o.py": "def compute_total(items):\n    return sum(items)\n",
                                    "p.py": "unrelated = True\n"})
    files = ContextGatherer().gather(state, window=state.text, budget_tokens=200, count=len)
    assert [f.path for f in files] == ["o.py"]
