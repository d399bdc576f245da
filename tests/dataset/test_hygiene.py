from __future__ import annotations

from pathlib import Path

from smallcoder.dataset.hygiene import Deduplicator, denied_license, is_high_entropy, scrub, shannon_entropy
from smallcoder.dataset.sources import collect


def test_entropy_separates_keys_from_identifiers() -> None:
    assert shannon_entropy("aaaa") == 0.0
    assert is_high_entropy("Zq8vR2xLp9TfW4mK7sYb3NcH6jDgA1Ue")
    assert not is_high_entropy("DEFAULT_DENY_LICENSES_FOR_TRAINING")
    assert not is_high_entropy("test_serializer_roundtrip_default")
    assert not is_high_entropy("692e5d1a2f0b5b0b8a3d8e7b2f4a6c9d8e7f6a5b")  # a git object id
    assert is_high_entropy("9f86d081884c7d659a2feaa0c55ad015")  # 32 hex: an API-key shape


def test_scrub_masks_known_tokens_and_random_strings() -> None:
    text = 'key = "Zq8vR2xLp9TfW4mK7sYb3NcH6jDgA1Ue"\ntok = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\nname = "x"\n'
    clean, n = scrub(text)
    assert n == 2 and "Zq8v" not in clean and "ghp_" not in clean and 'name = "x"' in clean


def test_license_detection() -> None:
    assert denied_license("# SPDX-License-Identifier: GPL-3.0-or-later\n") == "GPL-3.0-or-later"
    assert denied_license("# SPDX-License-Identifier: MIT\n") is None
    assert denied_license("# under the GNU Affero General Public License v3\n") == "AGPL"
    assert denied_license("# SPDX-License-Identifier: GPL-2.0\n", deny=()) is None


def test_dedup_exact_and_near() -> None:
    base = "\n".join(f"def f{i}(x):\n    return x * {i} + helper(x, {i})" for i in range(40))
    d = Deduplicator()
    assert d.keep(base)
    assert not d.keep("  " + base.replace("\n", "\n\n"))  # whitespace only: exact after normalisation
    assert not d.keep(base.replace("return x * 3 +", "return x * 33 +"))  # one edit: near
    assert d.keep("class Other:\n    pass\n" * 3)
    assert d.removals.as_dict() == {"exact duplicate": 1, "near duplicate": 1}


def test_collect_counts_every_reason(repo: Path) -> None:
    files, removed = collect(repo)
    paths = {f.path for f in files}
    assert paths == {"pkg/formats.py", "pkg/files.py", "pkg/copy_of_files.py", "pkg/settings.py"}
    counts = removed.as_dict()
    assert counts["excluded license"] == 1 and counts["license or lock file"] == 1
    assert counts["gitignored"] == 2 and counts["secrets masked"] == 2 and counts["not code"] >= 2
    settings = next(f for f in files if f.path == "pkg/settings.py").text
    assert "Zq8v" not in settings and "ghp_" not in settings and "def url()" in settings
