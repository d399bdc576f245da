"""How long a run page takes to open in the viewer, by run length (the issue's "500 steps in under a second").

For each size, a synthetic run (tests/viewer/synthetic.py: every record kind, figures shaped like a
Qwen2.5-Coder run) is recorded through the real RunStore in a fresh SMALLCODER_HOME, the real
`smallcoder runs serve` process is started, and the run page is opened:

- server: wall time of GET /runs/<id> over loopback (httpx), first request and the median of --rounds;
- browser: headless Chromium (Playwright, Debian's /usr/bin/chromium) navigation, from the request to
  the `load` event (Navigation Timing: loadEventEnd - startTime), median of --rounds;
- the list page with all runs, for scale.

Each size's figures are written to benchmarks/results/viewer.json as soon as they are measured, so an
interrupted run resumes where it stopped (--fresh starts over). Timings are wall-clock on whatever
machine runs this; the JSON records its load average before and after.

    python benchmarks/viewer/run.py [--sizes 50,500,2000] [--rounds 5] [--fresh]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.viewer.synthetic

import httpx
from playwright.sync_api import sync_playwright

from smallcoder.store import RunStore
from tests.viewer.synthetic import record_synthetic

RESULTS = ROOT / "benchmarks" / "results" / "viewer.json"
CHROMIUM = os.environ.get("SMALLCODER_CHROMIUM", "/usr/bin/chromium")


def start_server(home: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "smallcoder.cli.app", "runs", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SMALLCODER_HOME": str(home)})
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"the viewer did not start: {line!r}")
    return proc, "http://" + line.split("http://", 1)[1].split()[0]


def measure(steps: int, rounds: int, browser: object) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="viewer-bench-") as tmp:
        home = Path(tmp)
        with RunStore(home / "runs.sqlite3") as store:
            run_id = record_synthetic(store, steps, compact_at=max(2, steps * 3 // 5), fresh_at=max(1, steps // 5))
        proc, url = start_server(home)
        try:
            page_url = f"{url}runs/{run_id}"
            server: list[float] = []
            size = 0
            with httpx.Client(timeout=60) as client:
                for _ in range(rounds + 1):
                    started = time.perf_counter()
                    response = client.get(page_url)
                    server.append(time.perf_counter() - started)
                    response.raise_for_status()
                    size = len(response.content)
            page = browser.new_page()  # type: ignore[attr-defined]
            loads: list[float] = []
            for _ in range(rounds):
                page.goto(page_url, wait_until="load")
                loads.append(page.evaluate(
                    "() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; }"
                ) / 1000)
                assert page.locator("section.step").count() == steps
            page.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return {
        "steps": steps, "page_bytes": size, "server_first_s": round(server[0], 3),
        "server_median_s": round(statistics.median(server[1:]), 3),
        "browser_load_median_s": round(statistics.median(loads), 3),
        "browser_load_max_s": round(max(loads), 3), "rounds": rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50,500,2000", help="run lengths in steps, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="measure every size again")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    saved = json.loads(RESULTS.read_text()) if RESULTS.is_file() and not args.fresh else {}
    done = {r["steps"]: r for r in saved.get("runs", [])}
    out = {
        "benchmark": "viewer-run-page",
        "command": "python benchmarks/viewer/run.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "load_avg_1m_before": saved.get("load_avg_1m_before", round(os.getloadavg()[0], 2)),
        "date": time.strftime("%Y-%m-%d"),
        "runs": [done[s] for s in sizes if s in done],
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for steps in sizes:
            if steps in done:
                print(f"{steps} steps: kept from {RESULTS.name}")
                continue
            figures = measure(steps, args.rounds, browser)
            print(json.dumps(figures))
            out["runs"] = sorted([*out["runs"], figures], key=lambda r: r["steps"])  # type: ignore[index]
            out["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
            RESULTS.write_text(json.dumps(out, indent=2) + "\n")
        browser.close()
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
