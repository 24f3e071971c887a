"""Per-request overhead of the Dockerflow Flask extension, against the bare Flask app.

Two Flask apps with the same view run in this process: a bare one, and one with
``Dockerflow(app)``, whose ``request.summary`` logger formats every record with
:class:`~dockerflow.logging.MozlogFormatter` into a handler writing to ``/dev/null``
(the work a real deployment does for every request). Rounds of requests alternate
between the two apps; the median of the per-round ratios is reported, for requests
through Flask's test client (the headline figure) and for direct WSGI calls with a
prepared environ (which leaves out the test client's own cost, so it is stricter).

    uv run python benchmarks/bench_flask.py [--rounds 21] [--requests 2000]

To measure the reference library (python-dockerflow) the same way, run this script
with the interpreter of a virtualenv that holds it and Flask (it uses whatever
``dockerflow`` is importable; ``--reference`` formats with ``JsonLogFormatter``)::

    /tmp/ref-venv/bin/python benchmarks/bench_flask.py --reference

``--floor`` also measures, in the same way, a third app whose WSGI middleware does
only the observable work, inline (the request id read and checked, set for the
request's records and as ``g.request_id``, the status noted, the nine fields
serialized, written and flushed into the same handler's stream under its lock): what
any implementation must spend on this machine.

Exits with status 1 when the test-client overhead is above ``--max-overhead`` percent.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import flask

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import FloorWriter, configure_summary_logging, overhead_arguments


def make_app(with_dockerflow: bool) -> flask.Flask:
    app = flask.Flask(f"bench_{'dockerflow' if with_dockerflow else 'bare'}")

    @app.route("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    if with_dockerflow:
        from dockerflow.flask import Dockerflow

        Dockerflow(app)
    return app


def make_floor_app() -> flask.Flask:
    """The bare app, with the least a Dockerflow extension must do per request (see
    ``--floor``): no settings, no hooks for requests driven by hand, no error path."""
    from dockerflow.logging import request_id_context
    from dockerflow.request import generate_request_id, is_valid_request_id

    app = make_app(False)
    wsgi_app = app.wsgi_app
    write = FloorWriter().write

    def floor_middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start = time.perf_counter()
        rid = environ.get("HTTP_X_REQUEST_ID")
        if not is_valid_request_id(rid):
            rid = generate_request_id()
        token = request_id_context.set(rid)
        code = None

        def start_response_noting_status(status: str, headers: Any, exc_info: Any = None) -> Any:
            nonlocal code
            code = int(status[:3])
            return start_response(status, headers, exc_info)

        try:
            return wsgi_app(environ, start_response_noting_status)
        finally:
            write(
                {
                    "errno": 0,
                    "code": code,
                    "agent": environ.get("HTTP_USER_AGENT", ""),
                    "lang": environ.get("HTTP_ACCEPT_LANGUAGE", ""),
                    "method": environ["REQUEST_METHOD"],
                    "path": environ["PATH_INFO"],
                    "uid": "",
                    "rid": rid,
                    "t": int((time.perf_counter() - start) * 1000),
                }
            )
            request_id_context.reset(token)

    @app.before_request
    def set_g_request_id() -> None:
        flask.g.request_id = request_id_context.get()

    app.wsgi_app = floor_middleware  # type: ignore[method-assign]
    return app


def environ() -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/hello",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "HTTP_USER_AGENT": "bench/1.0",
        "HTTP_ACCEPT_LANGUAGE": "en-US",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    if not status.startswith("200"):
        raise RuntimeError(f"unexpected status {status}")


def time_requests(app: Callable[..., Iterable[bytes]], count: int) -> float:
    """Seconds per request over ``count`` direct WSGI calls."""
    base = environ()
    start = time.perf_counter()
    for _ in range(count):
        env = dict(base)
        for _chunk in app(env, _start_response):
            pass
    return (time.perf_counter() - start) / count


def time_client_requests(app: flask.Flask, count: int) -> float:
    """Seconds per request over ``count`` requests through Flask's test client."""
    client = app.test_client()
    headers = {"User-Agent": "bench/1.0", "Accept-Language": "en-US"}
    start = time.perf_counter()
    for _ in range(count):
        response = client.get("/hello", headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"unexpected status {response.status_code}")
    return (time.perf_counter() - start) / count


def measure(
    timer: Callable[[Any, int], float], bare: Any, with_df: Any, rounds: int, requests: int
) -> tuple[float, float, float]:
    """Median (ratio, bare seconds, dockerflow seconds) over interleaved rounds."""
    timer(bare, 300)  # warm up
    timer(with_df, 300)
    ratios, bare_times, df_times = [], [], []
    for i in range(rounds):
        order = [(bare, bare_times), (with_df, df_times)]
        if i % 2:
            order.reverse()
        for app, times in order:
            times.append(timer(app, requests))
        ratios.append(df_times[-1] / bare_times[-1])
    return statistics.median(ratios), statistics.median(bare_times), statistics.median(df_times)


def main(argv: list[str] | None = None) -> int:
    args = overhead_arguments(__doc__, argv, requests=2000, floor=True)

    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)
    configure_summary_logging(args.reference)
    bare, with_df = make_app(False), make_app(True)

    from importlib.metadata import version

    import dockerflow.flask as impl

    print(f"implementation: {os.path.dirname(impl.__file__)}")
    print(
        f"python {sys.version.split()[0]}, flask {version('flask')}, werkzeug {version('werkzeug')}"
    )
    results = {}
    runs: list[tuple[str, Callable[[Any, int], float], tuple[Any, Any]]] = [
        ("test client", time_client_requests, (bare, with_df)),
        ("direct WSGI", time_requests, (bare.wsgi_app, with_df.wsgi_app)),
    ]
    if args.floor:
        floor = make_floor_app()
        runs += [
            ("floor client", time_client_requests, (bare, floor)),
            ("floor WSGI", time_requests, (bare.wsgi_app, floor.wsgi_app)),
        ]
    for label, timer, apps in runs:
        ratio, bare_s, df_s = measure(timer, *apps, args.rounds, args.requests)  # type: ignore[arg-type]
        results[label] = ratio
        what = "hand-written   " if label.startswith("floor") else "with dockerflow"
        print(
            f"{label:12s} bare {bare_s * 1e6:7.1f} us, {what} {df_s * 1e6:7.1f} us: "
            f"ratio {ratio:.3f} (overhead {(ratio - 1) * 100:.1f}%, median of {args.rounds} rounds)"
        )
    overhead = (results["test client"] - 1) * 100
    if overhead > args.max_overhead:
        print(f"above the {args.max_overhead:g}% target (test client)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
