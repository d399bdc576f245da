"""The viewer's web application: Starlette routes over a read-only run store.

    GET /                       runs list (filter: status, model, repo, since, until, q; sort, order, page)
    GET /runs/{id}              one run: summary, timeline, raw output beside parsed calls, tests, diff
    GET /compare?run=A&run=B    two runs side by side (a picker with fewer than two)
    GET /benchmarks             plots of the benchmark results directory
    GET /api/runs, /api/runs/{id}   the same data as JSON (the shapes of `runs list/show --json`)
    GET /static/...             the stylesheet

Every request opens its own read-only connection, so a page can never change a
record and a run being written shows up on reload. Pages only read, so GET is all
there is; a Host-header check (TrustedHostMiddleware) stops other web sites from
reading the runs through DNS rebinding.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from smallcoder.errors import SmallcoderError
from smallcoder.store.read import RunReader
from smallcoder.viewer import format as fmt
from smallcoder.viewer.bench_results import load_results
from smallcoder.viewer.pages import RunNotFound, benchmarks_page, compare_page, parse_query, run_page, runs_page

HERE = Path(__file__).parent
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
# Pages use no inline scripts; styles come from /static only.
_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt.FILTERS)
    env.globals["status_class"] = fmt.STATUS_CLASS
    return env


def create_app(db: Path, results: Path | None = None, allowed_hosts: Sequence[str] | None = None,
               batches: Sequence[Path] = ()) -> Starlette:
    """The viewer for the run database `db`, the benchmark results directory `results` (None: none)
    and the batch output directories `batches`.

    `allowed_hosts` are the Host header values accepted (default: loopback names only).
    """
    env = _environment()
    RunReader(db).close()  # create and migrate the database now, not on the first request

    @contextmanager
    def reader() -> Iterator[RunReader]:
        with RunReader(db) as r:
            yield r

    def html(name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        body = fmt.mask_page(env.get_template(name).render(**context))
        return HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": _CSP})

    def json_response(data: Any, status: int = 200) -> Response:
        body = fmt.mask_page(json.dumps(data, ensure_ascii=False, default=str))
        return Response(body, status_code=status, media_type="application/json")

    def page(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """Turn one-line errors into an error page: 404 for a missing run, 400 for a bad query."""
        def wrapped(request: Request) -> Response:
            try:
                return handler(request)
            except RunNotFound as e:
                return html("error.html", {"message": str(e), "title": "run not found"}, 404)
            except SmallcoderError as e:
                return html("error.html", {"message": str(e), "title": "bad request"}, 400)
        return wrapped

    @page
    def runs(request: Request) -> Response:
        with reader() as r:
            return html("runs.html", {**runs_page(r, request.query_params), "nav": "runs"})

    @page
    def run(request: Request) -> Response:
        ref = request.path_params["run_id"]
        with reader() as r:
            context = run_page(r, ref, request.query_params.get("show") or "all")
        if context["run"]["id"] != ref:  # a prefix: send the browser to the run's own address
            return RedirectResponse(request.url_for("run", run_id=context["run"]["id"]), status_code=302)
        return html("run.html", {**context, "nav": "runs"})

    @page
    def compare(request: Request) -> Response:
        refs = request.query_params.getlist("run") or [request.query_params.get(k, "") for k in ("a", "b")]
        with reader() as r:
            return html("compare.html", {**compare_page(r, refs), "nav": "compare"})

    @page
    def benchmarks(request: Request) -> Response:
        return html("benchmarks.html", {**benchmarks_page(load_results(results, batches)), "nav": "benchmarks"})

    @page
    def api_runs(request: Request) -> Response:
        with reader() as r:
            found = r.query(parse_query(request.query_params))
        return json_response({"total": found.total, "runs": found.runs})

    @page
    def api_run(request: Request) -> Response:
        with reader() as r:
            try:
                return json_response(r.detail(request.path_params["run_id"]))
            except SmallcoderError as e:
                return json_response({"error": str(e)}, 404)

    def pygments_css(request: Request) -> Response:
        return PlainTextResponse(fmt.pygments_css(), media_type="text/css")

    def not_found(request: Request, exc: Exception) -> Response:
        return html("error.html", {"message": f"no page at {request.url.path}", "title": "not found"}, 404)

    routes = [
        Route("/", runs, name="runs"),
        Route("/runs/{run_id}", run, name="run"),
        Route("/compare", compare, name="compare"),
        Route("/benchmarks", benchmarks, name="benchmarks"),
        Route("/api/runs", api_runs, name="api_runs"),
        Route("/api/runs/{run_id}", api_run, name="api_run"),
        Route("/static/pygments.css", pygments_css, name="pygments_css"),
        Route("/favicon.ico", lambda request: Response(status_code=204)),  # browsers ask; there is none
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    hosts = list(allowed_hosts) if allowed_hosts else LOOPBACK_NAMES
    app = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)],
                    exception_handlers={404: not_found})
    app.state.db = db
    app.state.results = results
    return app

