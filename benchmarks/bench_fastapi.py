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

``--floor`` also measures, in the same way, a third app with one hand-written
middleware doing only the observable work (read and check the request id, note the
status, build the nine fields, serialize them, write and flush the line into the same
handler's stream under its lock, as every ``logging.Handler`` writes), so the overhead
can be read against what any implementation must spend on this machine.

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
    FloorWriter,
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


def make_floor_app() -> FastAPI:
    """The bare app behind :class:`FloorMiddleware`."""
    app = make_app(False)
    app.add_middleware(FloorMiddleware)
    return app


class FloorMiddleware:
    """The least a request-id and ``request.summary`` middleware must do per request,
    written inline: no settings, no subclass hooks, no handler checks, no error path.
    Only a yardstick for ``--floor``; it writes the same fields to the same stream."""

    def __init__(self, app: Any) -> None:
        from dockerflow.logging import request_id_context
        from dockerflow.request import generate_request_id, is_valid_request_id

        self.app = app
        self.context = request_id_context
        self.valid, self.generate = is_valid_request_id, generate_request_id
        self.write = FloorWriter().write

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        agent, lang, rid = "", None, None
        for name, value in scope["headers"]:
            if name == b"user-agent":
                agent = value.decode("latin-1")
            elif name == b"accept-language":
                lang = value.decode("latin-1")
            elif name == b"x-request-id":
                rid = value.decode("latin-1")
        if not self.valid(rid):
            rid = self.generate()
        self.context.set(rid)
        status = None

        def send_noting_status(message: Any) -> Any:
            nonlocal status
            if status is None and message["type"] == "http.response.start":
                status = message["status"]
            return send(message)

        await self.app(scope, receive, send_noting_status)
        self.write(
            {
                "errno": 0,
                "code": status,
                "agent": agent,
                "lang": lang,
                "method": scope["method"],
                "path": scope["path"],
                "uid": "",
                "rid": rid,
                "t": int((time.perf_counter() - start) * 1000),
            }
        )


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
    args = overhead_arguments(__doc__, argv, requests=4000, floor=True)
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
        ratios = {}
        runs = [("direct ASGI", "with dockerflow", with_df)]
        if args.floor:
            runs.append(("floor", "hand-written   ", make_floor_app()))
        for label, what, app in runs:
            ratio, bare_s, app_s = await measure_async(
                time_requests, bare, app, args.rounds, args.requests, warm_up=500
            )
            ratios[label] = ratio
            print(
                f"{label:12s} bare {bare_s * 1e6:7.1f} us CPU, {what} {app_s * 1e6:7.1f} us: "
                f"ratio {ratio:.3f} (overhead {(ratio - 1) * 100:.1f}%, "
                f"{(app_s - bare_s) * 1e6:.1f} us per request, median of {args.rounds} rounds)"
            )
        return ratios["direct ASGI"]

    overhead = (asyncio.run(run()) - 1) * 100
    if overhead > args.max_overhead:
        print(f"above the {args.max_overhead:g}% target")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
