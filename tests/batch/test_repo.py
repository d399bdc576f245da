"""Checkouts for instances: from a shared mirror, at the base commit, with the later history out of reach."""

import subprocess

import pytest

from smallcoder.errors import WorkspaceError
from smallcoder.session.batch_repo import apply_patch, checkout, source_url
from tests.batch.conftest import commit, git


def test_checkout_hides_later_commits_and_follows_new_ones(shop_history, tmp_path):
    repo, cache = shop_history["repo"], tmp_path / "cache"
    head = checkout(str(repo), shop_history["c1"], tmp_path / "a", cache)
    assert head == shop_history["c1"]
    # The fix (c2) and everything after it cannot be found from the checkout.
    assert shop_history["c2"] not in git(tmp_path / "a", "log", "--all", "--format=%H")
    assert git(tmp_path / "a", "tag") == "" and git(tmp_path / "a", "remote") == ""
    assert git(tmp_path / "a", "status", "--porcelain") == ""

    fresh = tmp_path / "src"
    subprocess.run(["git", "clone", "-q", str(repo), str(fresh)], check=True)
    new = commit(fresh, {"NEW.md": "new\n"}, "a commit made after the mirror")
    checkout(str(fresh), None, tmp_path / "b", cache)  # another source: another mirror
    later = commit(fresh, {"LATER.md": "later\n"}, "made after that mirror too")
    assert checkout(str(fresh), later, tmp_path / "c", cache) == later  # the mirror is brought up to date
    assert new != later
    with pytest.raises(WorkspaceError, match="is not in"):
        checkout(str(fresh), "0" * 40, tmp_path / "d", cache)


def test_sources_and_patches(tmp_path):
    assert source_url("acme/calc", tmp_path) == "https://github.com/acme/calc.git"
    assert source_url("https://example.org/x.git", tmp_path) == "https://example.org/x.git"
    with pytest.raises(WorkspaceError, match="repository not found"):
        source_url("./missing-folder", tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path / "r")], check=True)
    (tmp_path / "r" / "f.txt").write_text("one\n")
    good = "--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-one\n+two\n"
    assert apply_patch(tmp_path / "r", good) is None and (tmp_path / "r" / "f.txt").read_text() == "two\n"
    assert apply_patch(tmp_path / "r", good)  # applied already: the reason comes back, nothing raised
