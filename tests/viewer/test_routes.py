"""Every route over HTTP (Starlette's test client on the real app and a real database)."""

from __future__ import annotations

import re
import sqlite3
from html import unescape
from pathlib import Path

from starlette.testclient import TestClient

from smallcoder.viewer.app import create_app
from tests.viewer.synthetic import SECRET


def rows(html: str) -> list[str]:
    return re.findall(r'data-run="([^"]+)"', html)


def test_runs_list_and_filters(client: TestClient, runs: dict[str, str]) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "3 runs" in page.text
    assert rows(page.text) == [runs["c"], runs["b"], runs["a"]]  # newest first
    assert rows(client.get("/", params={"status": "unresolved"}).text) == [runs["b"]]
    assert rows(client.get("/", params={"model": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"}).text) == [runs["b"]]
    assert rows(client.get("/", params={"q": "rename"}).text) == [runs["c"]]
    assert rows(client.get("/", params={"sort": "steps", "order": "asc"}).text) == [runs["c"], runs["b"], runs["a"]]
    assert rows(client.get("/", params={"sort": "steps"}).text) == [runs["a"], runs["b"], runs["c"]]
    assert rows(client.get("/", params={"since": "2000-01-01", "until": "2000-01-02"}).text) == []
    assert "No run matches these filters" in client.get("/", params={"q": "nothing like this"}).text


def test_bad_filters_are_a_400_with_one_line(client: TestClient) -> None:
    for params, said in (({"since": "yesterday"}, "'since' must be a date"), ({"sort": "size"}, "unknown sort"),
                         ({"order": "up"}, "'order' must be asc or desc"), ({"page": "x"}, "'page' must be a number")):
        page = client.get("/", params=params)
        assert page.status_code == 400 and said in unescape(page.text), params


def test_one_run_page(client: TestClient, runs: dict[str, str]) -> None:
    page = client.get(f"/runs/{runs['a']}")
    assert page.status_code == 200
    html = page.text
    assert html.count('<section class="step') == 6 and 'id="step-5"' in html
    assert "compacted" in html and "format problem — the model was told" in html
    assert "TTFT 1.4s" in html and "decode 1.6s" in html and "24.0 tok/s" in html
    assert "1500 prompt (80% cached)" in html.replace("1.5k", "1500")
    assert 'class="model-text"' in html and "read_file(path=&#34;calc.py&#34;)" in html
    assert "the loop stopped: submitted" in html and "stop_reason" not in html  # shown once, not as raw data
    assert "bwrap (no network)" in html and "http://127.0.0.1:8080" in html and "(this machine)" in html
    assert '<div class="diff"><div class="hl">' in html and "return a + b" in html
    assert html.count("<svg") == 2 and "time per step" in html and "tokens per step" in html
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_remote_endpoint_and_unsandboxed_runs_are_called_out(db: Path, store, runs: dict[str, str]) -> None:
    extra = '{"isolation": {"kind": "none", "sandboxed": false}, "runtime": "vllm", ' \
            '"endpoint": "http://10.0.0.5:8000", "remote_endpoint": "http://10.0.0.5:8000"}'
    store._conn.execute("UPDATE runs SET extra = ? WHERE id = ?", (extra, runs["a"]))
    with TestClient(create_app(db), base_url="http://localhost") as c:
        html = c.get(f"/runs/{runs['a']}").text
    assert "the code was sent to http://10.0.0.5:8000" in html
    assert "none — the model's commands ran unsandboxed" in html


def test_a_run_prefix_redirects_and_unknown_runs_are_404(client: TestClient, runs: dict[str, str]) -> None:
    full = runs["a"]
    unique = next(full[:n] for n in range(4, len(full)) if not any(
        other.startswith(full[:n]) for other in runs.values() if other != full))
    moved = client.get(f"/runs/{unique}", follow_redirects=False)
    assert moved.status_code == 302 and moved.headers["location"].endswith(f"/runs/{full}")
    missing = client.get("/runs/nosuchrun")
    assert missing.status_code == 404 and "no run with id &#39;nosuchrun&#39;" in missing.text
    assert client.get("/no/such/page").status_code == 404


def test_secrets_stay_masked(client: TestClient, db: Path, runs: dict[str, str],
                             monkeypatch) -> None:  # type: ignore[no-untyped-def]
    html = client.get(f"/runs/{runs['a']}").text
    assert SECRET not in html and "GITHUB_TOKEN=[REDACTED]" in html  # masked by the store when recorded
    # A value of one of the viewer's own secret variables, recorded unmasked (another machine, another
    # environment), is masked in the page and in the JSON, raw and HTML-escaped alike.
    local = "s3cr3t-Value_with&amp<odd>chars"
    monkeypatch.setenv("DEPLOY_API_KEY", local)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE model_calls SET text = ? WHERE run_id = ? AND step = 1", (f"key is {local}", runs["a"]))
    conn.execute("UPDATE runs SET diff = ? WHERE id = ?", (f"+key = '{local}'\n", runs["a"]))
    conn.commit()
    conn.close()
    html = client.get(f"/runs/{runs['a']}").text
    assert local not in unescape(html) and html.count("[REDACTED]") >= 3
    assert local not in client.get(f"/api/runs/{runs['a']}").text


def test_html_in_records_is_escaped(client: TestClient, runs: dict[str, str]) -> None:
    for url in ("/", f"/runs/{runs['c']}", f"/compare?run={runs['a']}&run={runs['c']}", "/compare"):
        html = client.get(url).text
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_compare_two_runs(client: TestClient, runs: dict[str, str]) -> None:
    page = client.get("/compare", params=[("run", runs["a"]), ("run", runs["b"])])
    assert page.status_code == 200
    html = page.text
    assert "different tasks" not in html  # same task, two models
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf" in html and "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf" in html
    assert re.search(r"<th>steps</th><td[^>]*>6</td><td[^>]*>4</td><td[^>]*>−2 \(-33%\)</td>", html)
    side = html[html.index('class="steps-side"'):]
    side = side[:side.index("</table>")]
    assert side.count("<tr>") == 1 + 6  # header + the longer run's steps; B's missing steps show a dash
    assert side.count('<span class="muted">—</span>') == 2
    assert html.count('<div class="diff">') == 2 and "(no changes)" in html  # b made no change
    other = client.get(f"/compare?a={runs['a']}&b={runs['c']}").text
    assert "different tasks" in other


def test_compare_picker_and_errors(client: TestClient, runs: dict[str, str]) -> None:
    picker = client.get("/compare", params={"run": runs["a"]})
    assert picker.status_code == 200 and f'value="{runs["a"]}" selected' in picker.text
    assert client.get("/compare", params=[("run", runs["a"]), ("run", "nosuch")]).status_code == 404
    many = client.get("/compare", params=[("run", r) for r in runs.values()])
    assert many.status_code == 400 and "compare takes two runs" in unescape(many.text)


def test_benchmarks_page(client: TestClient) -> None:
    html = client.get("/benchmarks").text
    assert "resolve rate" in html and "<svg" in html


def test_benchmarks_page_without_results(db: Path, runs: dict[str, str]) -> None:
    with TestClient(create_app(db, None), base_url="http://127.0.0.1") as c:
        assert "No results directory" in c.get("/benchmarks").text


def test_json_api(client: TestClient, runs: dict[str, str]) -> None:
    listed = client.get("/api/runs", params={"status": "resolved"}).json()
    assert listed["total"] == 2 and {r["id"] for r in listed["runs"]} == {runs["a"], runs["c"]}
    one = client.get(f"/api/runs/{runs['b']}").json()
    assert one["run"]["status"] == "unresolved" and len(one["fresh_attempts"]) == 1
    assert client.get("/api/runs/nosuch").status_code == 404
    assert SECRET not in client.get(f"/api/runs/{runs['a']}").text


def test_static_files(client: TestClient) -> None:
    assert client.get("/static/viewer.css").headers["content-type"].startswith("text/css")
    assert ".hl" in client.get("/static/pygments.css").text
    assert client.get("/favicon.ico").status_code == 204


def test_other_host_names_are_refused(db: Path, runs: dict[str, str]) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read the runs."""
    with TestClient(create_app(db), base_url="http://evil.example:8765") as c:
        assert c.get("/").status_code == 400
    with TestClient(create_app(db), base_url="http://localhost:8765") as c:
        assert c.get("/").status_code == 200


def test_empty_store(home: Path) -> None:
    with TestClient(create_app(home / "runs.sqlite3"), base_url="http://127.0.0.1") as c:
        assert "No runs recorded yet" in c.get("/").text
        assert "No runs recorded yet" in c.get("/compare").text


def test_compare_marks_the_better_value_only_between_like_outcomes(db: Path, store) -> None:  # type: ignore[no-untyped-def]
    from smallcoder.store.read import RunReader
    from smallcoder.viewer.pages import compare_rows, run_view
    from tests.viewer.synthetic import record_synthetic

    long_run, short_run = record_synthetic(store, 6), record_synthetic(store, 3)
    failed = record_synthetic(store, 2, resolved=False)
    with RunReader(db) as r:
        rows = {row["label"]: row for row in compare_rows(run_view(r, long_run), run_view(r, short_run))}
        assert rows["steps"]["better"] == "b" and rows["steps"]["delta"] == "−3 (-50%)"
        assert rows["cached prompt tokens"]["better"] == "a"  # more from the KV cache is better
        unlike = compare_rows(run_view(r, long_run), run_view(r, failed))
    assert all(row["better"] == "" for row in unlike)


def test_the_timeline_can_show_only_some_steps(client: TestClient, runs: dict[str, str]) -> None:
    def steps(show: str) -> list[str]:
        page = client.get(f"/runs/{runs['a']}", params={"show": show})
        assert page.status_code == 200
        return re.findall(r'<section class="step[^"]*" id="step-(\d+)"', page.text)

    assert steps("all") == ["1", "2", "3", "4", "5", "6"]
    # 3: format problem; 4: a failed edit; 5: compacted.
    assert steps("problems") == ["3", "4", "5"]
    assert steps("edits") == ["2", "4", "6"] and steps("tests") == ["2", "4", "6"]
    page = client.get(f"/runs/{runs['a']}", params={"show": "problems"})
    assert "3 of 6 steps" in page.text and page.text.count("<svg") == 2  # the charts keep every step
    bad = client.get(f"/runs/{runs['a']}", params={"show": "odd"})
    assert bad.status_code == 400 and "must be one of all, problems, edits, tests" in unescape(bad.text)


def test_a_run_in_progress_reloads_itself(client: TestClient, store, runs: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    from tests.viewer.synthetic import synthetic_events

    assert 'http-equiv="refresh"' not in client.get(f"/runs/{runs['a']}").text  # finished: a still page
    live = store.new_run_id()
    for event in synthetic_events(live, 3)[:4]:  # started, tests before, a model call, a tool call: still going
        store(event)
    page = client.get(f"/runs/{live}").text  # this process is alive, so the run reads as running
    assert '<meta http-equiv="refresh" content="5">' in page and 'badge live">running' in page
    assert '<meta http-equiv="refresh" content="5">' in client.get("/").text
