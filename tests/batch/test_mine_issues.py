"""`tasks mine` with a GitHub origin: the linked issue becomes the problem statement (a local GitHub fake)."""

import subprocess

from smallcoder.session.mine import github_issue_reader, linked_issue, mine
from tests.batch.conftest import CART_V1, CART_V2, FAST_ENV, PRICES_V1, PRICES_V2, TESTS_V1, TESTS_V2, commit
from tests.github.fake_github import FakeGitHub

ISSUE_BODY = "Cart(19.99).total(10) returns 17.991; money should be whole cents."


def test_linked_numbers():
    assert linked_issue("Round totals (#12)") == 12 and linked_issue("x\n\nfixes #7") == 7
    assert linked_issue("Closes #53, follow-up on #261") == 53 and linked_issue("issue601 fixed") is None


def test_linked_issue_replaces_the_commit_message(tmp_path, monkeypatch):
    repo = tmp_path / "shop"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run(["git", "remote", "add", "origin", "https://github.com/acme/shop.git"], cwd=repo, check=True)
    commit(repo, {"shop/__init__.py": "", "shop/prices.py": PRICES_V1, "shop/cart.py": CART_V1,
                  "tests/test_cart.py": TESTS_V1}, "Initial shop")
    fix = commit(repo, {"shop/prices.py": PRICES_V2, "shop/cart.py": CART_V2, "tests/test_cart.py": TESTS_V2},
                 "Round discounted totals to cents (fixes #12)")
    with FakeGitHub(tokens=("ghp_test",)) as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_TOKEN", "ghp_test")
        monkeypatch.setenv("GH_CONFIG_DIR", str(tmp_path / "gh"))
        fake.add_repo("acme/shop")
        fake.add_issue("acme/shop", 12, "Discounted totals have fractions of a cent", ISSUE_BODY)
        [task] = mine(repo, name="shop", env=FAST_ENV, issues=github_issue_reader(repo))
    assert task.problem_statement == f"Discounted totals have fractions of a cent\n\n{ISSUE_BODY}"
    assert task.extra["issue"] == 12 and task.extra["commit"] == fix
    assert task.extra["commit_message"].startswith("Round discounted totals")
