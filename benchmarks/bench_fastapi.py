"""Per-request overhead of the two Dockerflow FastAPI middlewares, against the bare app.

Two FastAPI apps with the same path operation run in this process, on one event loop: a
bare one, and one set up as the documentation shows (``RequestIdMiddleware`` and
``MozlogRequestSummaryLogger``), whose ``request.summary`` logger formats every record
with the mozlog formatter into a handler writing to ``/dev/null`` (the work a real
deployment does for every request). Each app is called through the ASGI interface
directly, with a prepared scope: no HTTP client, no sockets, so the figure is the cost
of the middlewares and nothing else, in CPU time per request. Rounds alternate between the two apps; the median
of the per-round ratios is reported.

    uv run python benchmarks/bench_fastapi.py [--rounds 21] [--requests 4000]

To measure the reference library (python-dockerflow) the same way, run this script with
the interpreter of a virtualenv holding it, FastAPI and httpx (it uses whichever
``dockerflow`` is importable; ``--reference`` formats with ``JsonLogFormatter``)::

    uv venv /tmp/ref-fastapi
    uv pip install --python /tmp/ref-fastapi 'dockerflow[fastapi]==2026.3.4' fastapi httpx
    /tmp/ref-fastapi/bin/python benchmarks/bench_fastapi.py --reference

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

from fastapi import FastAPI

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    StatusSink,
    check_one_summary_per_request,
    configure_summary_logging,
    measure_async,
    overhead_arguments,
    receive_empty_body,
)


def make_app(with_dockerflow: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    if with_dockerflow:
        from dockerflow.fastapi import router
        from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware

        app.include_router(router)
        # The logger configured by configure_summary_logging (the reference would add a
        # stdout handler of its own to the default one).
        app.add_middleware(MozlogRequestSummaryLogger, logger=logging.getLogger("request.summary"))
        app.add_middleware(RequestIdMiddleware)
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
        (b"accept", b"*/*"),
        (b"accept-language", b"en-US"),
        (b"x-request-id", b"0b9c2ab3-5d9e-4b7e-9d1b-2f5b0c0e8a11"),
    ],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}


async def time_requests(app: FastAPI, count: int) -> float:
    """CPU seconds per request over ``count`` direct ASGI calls (process time: robust
    against the other busy processes of a shared machine)."""
    sink = StatusSink()
    begin = time.process_time()
    for _ in range(count):
        await app(dict(SCOPE), receive_empty_body, sink)
    elapsed = time.process_time() - begin
    if sink.status != 200:
        raise RuntimeError(f"unexpected status {sink.status}")
    return elapsed / count


def main(argv: list[str] | None = None) -> int:
    args = overhead_arguments(__doc__, argv, requests=4000)
    warnings.simplefilter("ignore", DeprecationWarning)
    configure_summary_logging(args.reference)
    bare, with_df = make_app(False), make_app(True)

    from importlib.metadata import version

    import dockerflow.fastapi as impl

    print(f"implementation: {os.path.dirname(impl.__file__)}")
    print(
        f"python {sys.version.split()[0]}, fastapi {version('fastapi')}, "
        f"starlette {version('starlette')}"
    )

    async def run() -> float:
        await check_one_summary_per_request(time_requests, with_df)
        ratio, bare_s, df_s = await measure_async(
            time_requests, bare, with_df, args.rounds, args.requests, warm_up=500
        )
        print(
            f"direct ASGI  bare {bare_s * 1e6:7.1f} us CPU, with dockerflow {df_s * 1e6:7.1f} us: "
            f"ratio {ratio:.3f} (overhead {(ratio - 1) * 100:.1f}%, "
            f"{(df_s - bare_s) * 1e6:.1f} us per request, median of {args.rounds} rounds)"
        )
        return ratio

    overhead = (asyncio.run(run()) - 1) * 100
    if overhead > args.max_overhead:
        print(f"above the {args.max_overhead:g}% target")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
