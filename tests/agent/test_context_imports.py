"""A name several files define: the first prompt's code comes from the module the failing test imports."""

from pathlib import Path

from smallcoder.agent.context import gather_context
from smallcoder.localize.imports import imported_modules

TRACE = "tests/unit/test_stats.py:8: AssertionError\nFAILED tests/unit/test_stats.py::test_mean\n"


def make(root: Path, files: dict[str, str]) -> set[str]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return set(files)


def test_the_module_the_failing_test_imports_comes_first(tmp_path):
    make(tmp_path, {
        "legacy.py": "def mean(values):\n    return 0\n",
        "src/pkg/__init__.py": "",
        "src/pkg/stats.py": "def mean(values):\n    return sum(values) / (len(values) - 1)\n",
        "tests/unit/test_stats.py": "from pkg.stats import mean\n\ndef test_mean():\n    assert mean([2, 4]) == 3\n",
    })
    files = gather_context(tmp_path, "mean() is wrong for [2, 4]", TRACE)
    assert [f.path for f in files][:2] == ["src/pkg/stats.py", "legacy.py"]
    # without the failing test the files keep their plain order
    assert [f.path for f in gather_context(tmp_path, "mean() is wrong for [2, 4]")][:2] == ["legacy.py",
                                                                                             "src/pkg/stats.py"]


def test_imports_of_every_form_resolve_to_repository_files(tmp_path):
    known = make(tmp_path, {
        "pkg/__init__.py": "", "pkg/a.py": "", "pkg/sub/__init__.py": "", "pkg/sub/b.py": "", "c.py": "",
        "pkg/tests/test_x.py": ("import os\nimport pkg.a\nfrom ..sub import b\nfrom . import helper\n"
                                "from c import thing\nfrom .....too_far import x\n"),
        "pkg/tests/helper.py": "", "broken_test.py": "def (:\n",
    })
    got = imported_modules(tmp_path, ["pkg/tests/test_x.py", "broken_test.py", "missing_test.py"], known)
    assert got == {"pkg/a.py", "pkg/sub/__init__.py", "pkg/sub/b.py", "pkg/tests/helper.py",
                   "c.py"}
