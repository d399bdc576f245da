"""A small real multi-language git repository for the repo-map tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

FILES: dict[str, str] = {
    "pkg/__init__.py": "",
    "pkg/base.py": "class Base:\n    def describe(self):\n        return type(self).__name__\n",
    "pkg/stats.py": (
        "from pkg.base import Base\n"
        "\n"
        "\n"
        "def mean(values):\n"
        "    return sum(values) / len(values)\n"
        "\n"
        "\n"
        "def median(values):\n"
        "    ordered = sorted(values)\n"
        "    return ordered[len(ordered) // 2]\n"
        "\n"
        "\n"
        "class Box(Base):\n"
        "    def area(self, scale):\n"
        "        return mean([scale, scale])\n"
    ),
    "app/main.py": (
        "from pkg.stats import Box, mean\n"
        "\n"
        "def report(rows):\n"
        "    box = Box()\n"
        "    return mean(rows) + mean(rows[1:]) + box.area(2)\n"
    ),
    "app/cli.py": "from pkg.stats import mean\n\ndef main(argv):\n    print(mean([1, 2]))\n",
    "web/util.js": (
        "export function helper(a) {\n  return a * 2;\n}\n\n"
        "export class Widget {\n  render(x) {\n    return helper(x);\n  }\n}\n"
    ),
    "web/app.js": "import { helper, Widget } from './util.js';\nconst w = new Widget();\nhelper(helper(1));\n",
    "go/shapes.go": (
        "package shapes\n\ntype Shape interface {\n\tArea() int\n}\n\n"
        "func Total(items []Shape) int {\n\treturn 0\n}\n"
    ),
    "go/main.go": "package shapes\n\nfunc run(s Shape) int {\n\treturn Total([]Shape{s})\n}\n",
    "README.md": "# demo\n\nSee pkg/stats.py.\n",
    ".gitignore": "ignored/\n",
    "ignored/secret.py": "def hidden():\n    pass\n",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, capture_output=True, check=True)


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    write_tree(root, FILES)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=T", "commit", "-q", "-m", "init")
    return root
