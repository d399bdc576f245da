"""A small real project with a real history for the batch tests: a multi-file bug fixed in one commit.

    c1  initial: shop/prices.py, shop/cart.py, tests/test_cart.py          (all tests pass)
    c2  "Discounted totals are not rounded to cents ..."  fix in prices.py + cart.py, a new test   ← minable
    c3  "Add a tax helper"                                  feature + test, not a fix              ← skipped
    c4  "Fix crash in prices.py on an empty cart"           names its file                         ← skipped
    c5  "docs: readme"                                      no code, no tests                      ← skipped
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

PRICES_V1 = '''"""Prices."""


def subtotal(items):
    return sum(price * qty for price, qty in items)


def apply_discount(total, percent):
    return total - total * percent / 100
'''

CART_V1 = '''"""A cart."""
from shop.prices import apply_discount, subtotal


class Cart:
    def __init__(self):
        self.items = []

    def add(self, price, qty=1):
        self.items.append((price, qty))

    def total(self, percent=0):
        return apply_discount(subtotal(self.items), percent)
'''

TESTS_V1 = '''from shop.cart import Cart


def test_total():
    c = Cart()
    c.add(2.5, 2)
    c.add(1.0)
    assert c.total() == 6.0


def test_discount():
    c = Cart()
    c.add(10.0)
    assert c.total(50) == 5.0
'''

PRICES_V2 = PRICES_V1.replace("    return total - total * percent / 100",
                              "    return to_cents(total - total * percent / 100)\n\n\n"
                              "def to_cents(value):\n    return round(value + 1e-9, 2)")
CART_V2 = CART_V1.replace("from shop.prices import apply_discount, subtotal",
                          "from shop.prices import apply_discount, subtotal, to_cents").replace(
    "        return apply_discount(subtotal(self.items), percent)",
    "        return to_cents(apply_discount(subtotal(self.items), percent))")
TESTS_V2 = TESTS_V1 + '''

def test_discount_is_rounded_to_cents():
    c = Cart()
    c.add(19.99)
    assert c.total(10) == 17.99
'''

FIX_MESSAGE = ("Discounted totals are not rounded to cents\n\nA 10% discount on 19.99 gives 17.991 instead of 17.99; "
               "totals should always be whole cents.\n\nSigned-off-by: Test <test@example.com>")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="session")
def shop_history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The project above; returns {"repo": Path, "c1".."c5": commit ids}."""
    repo = tmp_path_factory.mktemp("shop-src") / "shop"
    repo.mkdir()
    env_git = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run(["git", *env_git, "config", "user.name", "Test"], cwd=repo, check=True)
    subprocess.run(["git", "config", "user.email", "test@example.com"], cwd=repo, check=True)
    ids: dict[str, object] = {"repo": repo}
    ids["c1"] = commit(repo, {"shop/__init__.py": "", "shop/prices.py": PRICES_V1, "shop/cart.py": CART_V1,
                              "tests/test_cart.py": TESTS_V1, "pytest.ini": "[pytest]\ntestpaths = tests\n"},
                       "Initial shop")
    ids["c2"] = commit(repo, {"shop/prices.py": PRICES_V2, "shop/cart.py": CART_V2, "tests/test_cart.py": TESTS_V2},
                       FIX_MESSAGE)
    ids["c3"] = commit(repo, {"shop/tax.py": "def with_tax(x):\n    return x * 1.2\n",
                              "tests/test_tax.py": "from shop.tax import with_tax\n\n\ndef test_tax():\n"
                                                   "    assert with_tax(10) == 12\n"}, "Add a tax helper")
    ids["c4"] = commit(repo, {"shop/prices.py": PRICES_V2 + "\n# empty carts are fine\n",
                              "tests/test_empty.py": "def test_empty():\n    assert True\n"},
                       "Fix crash in prices.py on an empty cart")
    ids["c5"] = commit(repo, {"README.md": "# shop\n"}, "docs: readme")
    return ids


# The venv's pytest plugins are not the shop's: leaving them out makes each test run start faster.
FAST_ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


@pytest.fixture(scope="session")
def shop_mined(shop_history):
    """mine() over the shop's history, once per test session: (tasks, [(commit, verdict)])."""
    from smallcoder.session.mine import mine

    heard: list[tuple[str, str]] = []
    tasks = mine(shop_history["repo"], name="shop", env=FAST_ENV, on_candidate=lambda c, v: heard.append((c.commit, v)))
    return tasks, heard


@pytest.fixture(scope="session")
def shop_task(shop_mined):
    """The one verified task mined from the shop's history."""
    [task] = shop_mined[0]
    return task
