"""Judging predictions with the hidden tests on a pristine checkout; environment errors kept apart."""

from dataclasses import replace

from smallcoder.session.evaluate import ENV_ERROR, RESOLVED, UNRESOLVED, evaluate


def judge(task, patch, tmp_path):
    return evaluate(task, patch, tmp_path / "work", tmp_path / "cache")


def test_reference_fix_resolves_and_empty_patch_does_not(shop_task, tmp_path):
    gold = judge(shop_task, shop_task.extra["patch"], tmp_path)
    assert gold.verdict == RESOLVED and all(gold.fail_to_pass.values()) and all(gold.pass_to_pass.values())
    empty = judge(shop_task, "", tmp_path)
    assert (empty.verdict, empty.reason) == (UNRESOLVED, "empty patch")
    assert not (tmp_path / "work" / "eval-patched").exists()  # scratch checkouts are removed


def test_half_fix_is_unresolved_with_the_failing_test_named(shop_task, tmp_path):
    # Only the cart is changed: the new test still fails.
    half = "\n".join(shop_task.extra["patch"].split("diff --git a/shop/prices.py")[0:1]) + "\n"
    verdict = judge(shop_task, half, tmp_path)
    assert verdict.verdict == UNRESOLVED
    assert "test_discount_is_rounded_to_cents" in verdict.reason


def test_patch_that_does_not_apply_is_unresolved(shop_task, tmp_path):
    bad = "diff --git a/shop/prices.py b/shop/prices.py\n--- a/shop/prices.py\n+++ b/shop/prices.py\n" \
          "@@ -1,3 +1,3 @@\n-no such line\n+x\n context\n"
    verdict = judge(shop_task, bad, tmp_path)
    assert verdict.verdict == UNRESOLVED and verdict.reason.startswith("the patch does not apply")


def test_tests_that_fail_without_any_change_are_an_environment_error(shop_task, tmp_path):
    broken = replace(shop_task, pass_to_pass=(*shop_task.pass_to_pass, "tests/test_cart.py::test_absent"))
    verdict = judge(broken, broken.extra["patch"], tmp_path)
    assert verdict.verdict == ENV_ERROR and "PASS_TO_PASS" in verdict.reason


def test_tests_that_cannot_start_are_an_environment_error(shop_task, tmp_path):
    # A dependency the tests need is not installed: pytest stops at the conftest, before any test.
    conftest = ("diff --git a/tests/conftest.py b/tests/conftest.py\nnew file mode 100644\n--- /dev/null\n"
                "+++ b/tests/conftest.py\n@@ -0,0 +1 @@\n+import not_installed_anywhere\n")
    broken = replace(shop_task, test_patch=shop_task.test_patch + conftest)
    verdict = judge(broken, broken.extra["patch"], tmp_path)
    assert verdict.verdict == ENV_ERROR and "cannot start" in verdict.reason, verdict.reason


def test_unreachable_repository_is_an_environment_error(shop_task, tmp_path):
    verdict = judge(replace(shop_task, repo=str(tmp_path / "gone")), "x", tmp_path)
    assert verdict.verdict == ENV_ERROR and "repository not found" in verdict.reason
