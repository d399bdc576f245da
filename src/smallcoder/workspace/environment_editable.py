"""Where an environment's editable installs point, so the run can import its worktree instead.

Every build backend leaves one of two traces in site-packages (PEP 660 editable wheels):
- a `.pth` file whose lines are directories added to sys.path (setuptools in compat mode and for src
  layouts, hatchling's default, flit, pdm-backend, poetry-core, maturin for pure Python);
- an import hook: a `.pth` line `import X` plus a module X holding a package → directory mapping
  (setuptools' `__editable___*_finder.py` MAPPING/NAMESPACES, the `editables` library behind hatchling's
  `dev-mode-exact`). Those paths name packages, so their parent is the import root.

Paths inside the repository are translated to the same place in the worktree (and put first on PYTHONPATH,
which comes before both .pth directories and the hooks, which append themselves to sys.meta_path); paths
outside it (other local projects installed editable) are shown read-only in the sandbox.
"""

from __future__ import annotations

import re
from pathlib import Path

MAX_FILE_BYTES = 256 * 1024
# Quoted absolute paths inside a finder module.
QUOTED_PATH = re.compile(r"""['"](/[^'"\n]+)['"]""")


def editable_source_dirs(repo: Path, site_dirs: list[Path]) -> tuple[list[str], list[str]]:
    """(import roots relative to `repo`, in sys.path order; absolute directories outside `repo` to show).

    Reads only .pth files and the hook modules they import; never imports anything.
    """
    root = repo.resolve()
    inside: list[str] = []
    outside: list[str] = []
    for site in site_dirs:
        if not site.is_dir():
            continue
        for pth in sorted(site.glob("*.pth")):
            for entry, is_package in _pth_entries(pth, site):
                path = Path(entry)
                if not path.is_absolute():
                    path = site / path
                try:
                    path = path.resolve()
                except OSError:
                    continue
                import_root = path.parent if is_package else path  # a hook names the package itself
                if import_root == root or import_root.is_relative_to(root):
                    rel = import_root.relative_to(root).as_posix() or "."
                    if rel not in inside:
                        inside.append(rel)
                elif import_root.is_dir() and str(import_root) not in outside and not import_root.is_relative_to(site):
                    outside.append(str(import_root))
    return inside, outside


def _pth_entries(pth: Path, site: Path) -> list[tuple[str, bool]]:
    """(path, names_a_package) for each directory line and each path in an imported hook module."""
    out: list[tuple[str, bool]] = []
    for line in _read(pth).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("import ", "import\t")):
            for module in re.findall(r"import\s+([A-Za-z_][\w.]*)", line):
                hook = site / (module.replace(".", "/") + ".py")
                if hook.is_file():
                    out += [(p, True) for p in QUOTED_PATH.findall(_read(hook))]
            continue
        out.append((line, False))
    return out


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return ""
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
