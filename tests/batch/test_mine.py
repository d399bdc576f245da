"""`tasks mine` on a real git history: the fix commit becomes one verified task; the others are left out."""

import json
import subprocess
import sys

from smallcoder.session.mine import candidates, is_source_file, is_test_file, looks_like_fix, names_file


def test_file_kinds_and_fix_messages():
    assert is_test_file("tests/test_cart.py") and is_test_file("pkg/cart_test.py") and is_test_file("test/util.py")
    assert is_source_file("shop/cart.py") and not is_source_file("tests/test_cart.py")
    assert not is_source_file("docs/conf.py") and not is_source_file("setup.py") and not is_source_file("README.md")
    assert looks_like_fix("Fix #12 - wrong total") and looks_like_fix("Totals should be rounded")
    assert not looks_like_fix("Add a tax helper") and not looks_like_fix("docs: fix typo in readme")
    assert names_file("crash in shop/cart.py", ("shop/cart.py",)) and names_file("cart.py breaks", ("shop/cart.py",))
    assert not names_file("the cart total is wrong", ("shop/cart.py",))


def test_candidates_are_fix_commits_that_change_code_and_tests(shop_history):
    found = {c.commit: c for c in candidates(shop_history["repo"])}
    assert set(found) == {shop_history["c2"], shop_history["c4"]}
    c2 = found[shop_history["c2"]]
    assert c2.parent == shop_history["c1"] and c2.source_files == ("shop/cart.py", "shop/prices.py")
    assert "Signed-off-by" not in c2.message
    assert [c.commit for c in candidates(shop_history["repo"], min_source_files=2)] == [shop_history["c2"]]


def test_mine_keeps_the_verified_multi_file_fix(shop_history, shop_mined):
    [task], heard = shop_mined
    assert (shop_history["c4"], "message names a changed file") in heard
    assert (shop_history["c2"], "kept") in heard
    assert task.instance_id == f"shop-{shop_history['c2'][:10]}" and task.base_commit == shop_history["c1"]
    assert task.fail_to_pass == ("tests/test_cart.py::test_discount_is_rounded_to_cents",)
    assert task.pass_to_pass == ("tests/test_cart.py::test_discount", "tests/test_cart.py::test_total")
    assert "tests/test_cart.py" in task.test_patch and "shop/" not in task.test_patch
    assert "shop/prices.py" in task.extra["patch"] and "shop/cart.py" in task.extra["patch"]
    assert "tests/" not in task.extra["patch"]
    assert task.problem_statement.startswith("Discounted totals are not rounded to cents")
    assert task.test_cmd == "python -m pytest -q -p no:cacheprovider tests"
    assert task.env == {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # kept for the batch's test runs


def test_cli_writes_tasks_and_refuses_to_overwrite(shop_history, tmp_path):
    out = tmp_path / "tasks.jsonl"
    cmd = [sys.executable, "-m", "smallcoder.cli.app", "tasks", "mine", "--repo", str(shop_history["repo"]),
           "--out", str(out), "--max", "5", "--env", "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["FAIL_TO_PASS"] and rows[0]["instance_id"].startswith("shop-")
    assert "1 verified task(s)" in res.stderr
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "exists — pass --append" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
