"""Per-request overhead of the Dockerflow Sanic extension, against the bare Sanic app.

Two Sanic apps with the same handler run in this process, on one event loop: a bare
one, and one with ``Dockerflow(app)``, whose ``request.summary`` logger formats every
record with :class:`~dockerflow.logging.MozlogFormatter` into a handler writing to
``/dev/null`` (the work a real deployment does for every request). Two clients, each
used for both apps:

* ``ASGI client`` (the headline figure, checked against ``--max-overhead``): httpx's
  ``AsyncClient`` over ``ASGITransport``, the client sanic-testing's ASGI test client
  is built on, without its per-request app startup; in process, no sockets.
* ``direct ASGI`` (stricter, for information): the app called with a prepared scope,
  no client at all. Bare Sanic answers such a call in about 20 us, while building and
  formatting one ``request.summary`` record costs about 10 us by itself, so this ratio
  shows the full cost of the logging a deployment asks for, not waste.

Sanic rewrites some of its own methods when an app starts ("touchup"), tailored to
that app's signals; so each round starts the app it measures (as sanic-testing does)
before timing it. Rounds alternate between the two apps; the median of the
per-round ratios is reported.

    uv run python benchmarks/bench_sanic.py [--rounds 21] [--requests 3000]

To measure the reference library (python-dockerflow) the same way, run this script
with the interpreter of a virtualenv that holds it and Sanic (it uses whatever
``dockerflow`` is importable; ``--reference`` formats with ``JsonLogFormatter``)::

    /tmp/ref-venv/bin/python benchmarks/bench_sanic.py --reference

Exits with status 1 when the overhead is above ``--max-overhead`` percent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import warnings
from typing import Any

from sanic import Sanic, response

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    StatusSink,
    check_one_summary_per_request,
    configure_summary_logging,
    measure_async,
    overhead_arguments,
    receive_empty_body,
)


def make_app(with_dockerflow: bool) -> Sanic:
    app = Sanic(f"bench_{'dockerflow' if with_dockerflow else 'bare'}", configure_logging=False)
    app.config.ACCESS_LOG = False

    @app.get("/hello")
    async def hello(request: Any) -> Any:
        return response.json({"hello": "world"})

    if with_dockerflow:
        from dockerflow.sanic import Dockerflow

        Dockerflow(app)
    return app


SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.3"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/hello",
    "raw_path": b"/hello",
    "query_string": b"",
    "root_path": "",
    "headers": [
        (b"host", b"localhost"),
        (b"user-agent", b"bench/1.0"),
        (b"accept-language", b"en-US"),
    ],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}


async def start(app: Sanic) -> None:
    """Start ``app`` for ASGI calls (routers finalized, touchup for this app)."""
    app.router.reset()
    app.signal_router.reset()
    await app._startup()
    app.asgi = True


async def time_requests(app: Sanic, count: int) -> float:
    """Seconds per request over ``count`` direct ASGI calls (after starting ``app``)."""
    await start(app)
    sink = StatusSink()
    begin = time.perf_counter()
    for _ in range(count):
        await app(dict(SCOPE), receive_empty_body, sink)
    elapsed = time.perf_counter() - begin
    if sink.status != 200:
        raise RuntimeError(f"unexpected status {sink.status}")
    return elapsed / count


async def time_client_requests(app: Sanic, count: int) -> float:
    """Seconds per request over ``count`` requests through httpx's ASGI transport."""
    import httpx

    await start(app)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    headers = {"User-Agent": "bench/1.0", "Accept-Language": "en-US"}
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        begin = time.perf_counter()
        for _ in range(count):
            resp = await client.get("/hello", headers=headers)
            if resp.status_code != 200:
                raise RuntimeError(f"unexpected status {resp.status_code}")
        return (time.perf_counter() - begin) / count


def main(argv: list[str] | None = None) -> int:
    args = overhead_arguments(__doc__, argv, requests=3000)

    warnings.simplefilter("ignore", DeprecationWarning)
    logging.getLogger("sanic").setLevel(logging.WARNING)
    configure_summary_logging(args.reference)
    Sanic.test_mode = True  # lets touchup run once per round, for the app being measured
    bare, with_df = make_app(False), make_app(True)

    from importlib.metadata import version

    import dockerflow.sanic as impl

    print(f"implementation: {os.path.dirname(impl.__file__)}")
    print(f"python {sys.version.split()[0]}, sanic {version('sanic')}")

    async def run() -> dict[str, float]:
        await check_one_summary_per_request(time_requests, with_df)
        results = {}
        for label, timer, requests in (
            ("ASGI client", time_client_requests, args.requests // 2),
            ("direct ASGI", time_requests, args.requests),
        ):
            ratio, bare_s, df_s = await measure_async(timer, bare, with_df, args.rounds, requests)
            results[label] = ratio
            print(
                f"{label:12s} bare {bare_s * 1e6:7.1f} us, with dockerflow {df_s * 1e6:7.1f} us: "
                f"ratio {ratio:.3f} (overhead {(ratio - 1) * 100:.1f}%, "
                f"median of {args.rounds} rounds)"
            )
        return results

    overhead = (asyncio.run(run())["ASGI client"] - 1) * 100
    if overhead > args.max_overhead:
        print(f"above the {args.max_overhead:g}% target (ASGI client)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
