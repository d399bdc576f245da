"""The viewer in a real browser: Debian's Chromium, headless, driven by Playwright.

Real runs are made first with `smallcoder fix --model scripted:FILE.json` in a fresh git repository,
then `smallcoder runs serve` is started as a user would, and the tests click through the pages and
look at their DOM. Screenshots go to $SMALLCODER_TEST_ARTIFACTS/viewer (default
/tmp/smallcoder-test-artifacts/viewer) for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from tests.agent.scripts import FIX_MEAN, hermes
from tests.viewer.conftest import RESULTS

CHROMIUM = os.environ.get("SMALLCODER_CHROMIUM", "/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no Chromium at {CHROMIUM} (apt install chromium)")
ARTIFACTS = Path(os.environ.get("SMALLCODER_TEST_ARTIFACTS", "/tmp/smallcoder-test-artifacts")) / "viewer"
IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost", "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@localhost"}


def fix_run(repo: Path, script: Path, *outputs: str, max_steps: int = 8) -> dict:
    script.write_text(json.dumps(list(outputs)))
    res = subprocess.run(
        [sys.executable, "-m", "smallcoder.cli.app", "fix", "mean() divides by len-1; mean([2,4,6]) should be 4",
         "--repo", str(repo), "--model", f"scripted:{script}", "--json", "--max-steps", str(max_steps)],
        capture_output=True, text=True, timeout=180, env={**os.environ, **IDENTITY}, check=False)
    assert res.returncode in (0, 1), res.stderr
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, dict]]]:
    """Two real runs of the bundled example: one fixes it, one does not."""
    base = tmp_path_factory.mktemp("viewer-browser")
    home = base / "home"
    old = os.environ.get("SMALLCODER_HOME")
    os.environ["SMALLCODER_HOME"] = str(home)
    repo = base / "repo"
    with resources.as_file(resources.files("smallcoder").joinpath("examples", "mean_bug")) as src:
        shutil.copytree(src, repo, ignore=shutil.ignore_patterns("__pycache__"))
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **IDENTITY})
    try:
        fixed = fix_run(repo, base / "fixed.json", hermes("read_file", path="stats.py"), FIX_MEAN)
        # A reply with no tool call (a format problem), then a read: the step limit ends it unresolved.
        failed = fix_run(repo, base / "failed.json", "I am not sure what to do.",
                         hermes("read_file", path="stats.py"), max_steps=2)
        yield home, {"fixed": fixed, "failed": failed}
    finally:
        if old is None:
            os.environ.pop("SMALLCODER_HOME", None)
        else:
            os.environ["SMALLCODER_HOME"] = old


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()
    assert errors == [], errors  # no script errors, no failed loads (CSP, missing assets)


def shot(page, name: str, full_page: bool = True) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def test_click_through_list_run_compare_and_benchmarks(real_runs, page, serve) -> None:  # type: ignore[no-untyped-def]
    home, made = real_runs
    server = serve("--results", str(RESULTS), env={"SMALLCODER_HOME": str(home)})
    fixed, failed = made["fixed"]["run_id"], made["failed"]["run_id"]

    page.goto(server.url)
    rows = page.locator("tr.run-row")
    assert rows.count() == 2
    assert page.locator("tr.run-row").first.get_attribute("data-run") == failed  # newest first
    assert page.locator(f'tr[data-run="{fixed}"] .badge').inner_text() == "resolved"
    shot(page, "1-runs-list")

    page.select_option("select[name=status]", "resolved")
    page.click("form.filters button[type=submit]")
    assert [r.get_attribute("data-run") for r in page.locator("tr.run-row").all()] == [fixed]
    shot(page, "2-runs-filtered")

    page.click(f'a.run-link:has-text("{fixed}")')
    page.wait_for_url(f"**/runs/{fixed}")
    steps = page.locator("section.step")
    assert steps.count() == 2
    first = steps.nth(0)
    assert "read_file" in first.locator(".raw pre.model-text").inner_text()  # what the model wrote …
    assert 'read_file(path="stats.py")' in first.locator(".parsed code.call").first.inner_text()  # … and parsed
    assert "replace_in_file" in steps.nth(1).locator(".parsed").inner_text()
    assert page.locator(".diff .gi", has_text="return").inner_text().strip() == "+    return sum(values) / len(values)"
    assert page.locator(".diff .gd", has_text="return").inner_text().strip() == \
        "-    return sum(values) / (len(values) - 1)"
    assert page.locator("figure.chart svg").count() == 2
    assert "passed" in page.locator("details.testrun").last.inner_text()
    shot(page, "3-run-timeline")

    page.goto(server.url)
    page.check(f'input[value="{fixed}"]')
    page.check(f'input[value="{failed}"]')
    page.click("#compare-form button[type=submit]")
    page.wait_for_url("**/compare?**")
    table = page.locator("table.compare")
    assert fixed in table.inner_text() and failed in table.inner_text()
    assert page.locator("table.compare tr", has_text="model calls").count() == 1
    assert page.locator(".side-by-side .diff").count() == 2
    shot(page, "4-compare")

    page.click("header.top >> text=Benchmarks")
    page.wait_for_url("**/benchmarks")
    captions = page.locator("figure.chart figcaption").all_inner_texts()
    assert "resolve rate" in captions and "share of prompt tokens from the KV cache" in captions
    assert page.locator("figure.chart svg rect").count() > 10
    shot(page, "5-benchmarks")
    server.stop()


def test_a_500_step_run_renders_every_step(page, serve, store) -> None:  # type: ignore[no-untyped-def]
    from tests.viewer.synthetic import record_synthetic

    run_id = record_synthetic(store, 500, compact_at=300, fresh_at=100)
    server = serve()
    page.goto(server.url + f"runs/{run_id}")
    assert page.locator("section.step").count() == 500
    assert page.locator("section.step.compacted").count() == 1
    page.click('a.anchor[href="#step-437"]')
    assert page.evaluate("location.hash") == "#step-437"
    shot(page, "6-run-500-steps", full_page=False)  # the whole page is ~200,000 px tall
    page.click("nav.step-filter >> text=problems")
    page.wait_for_url("**?show=problems#timeline")
    shown = page.locator("section.step").count()
    assert 0 < shown < 500 and page.locator("section.step.compacted").count() == 1
    assert f"{shown} of 500 steps" in page.locator("h2#timeline").inner_text()
    server.stop()
