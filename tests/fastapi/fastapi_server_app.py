"""The app the end-to-end tests serve with a real uvicorn (``fastapi_server_app:app``).

Set up as the reference documentation shows; uvicorn gets the logging configuration of
``fastapi_server_logging.json`` (``--log-config``): every line mozlog JSON, uvicorn's own
included, with the request id. Test-only routes: ``/pid``
(the worker's pid), ``/block?until=PATH`` (writes the worker's pid to ``PATH.pid``, then
holds the worker's event loop until ``PATH`` exists, at most 30 s, so the other worker
gets every request meanwhile), ``/stream`` (chunks, the second one only after
``/release`` was called). Environment: ``FASTAPI_TEST_REDIS_URL`` registers the Redis
check (asyncio client), ``FASTAPI_TEST_HANG`` a sync check that hangs, and
``FASTAPI_TEST_APP_DIR`` is ``app.state.APP_DIR``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from dockerflow import checks
from dockerflow.fastapi import router
from dockerflow.fastapi.checks import check_redis_connected
from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware

app = FastAPI()
app.include_router(router)
app.add_middleware(MozlogRequestSummaryLogger)
app.add_middleware(RequestIdMiddleware)
app.state.DOCKERFLOW_CHECK_TIMEOUT = float(os.environ.get("FASTAPI_TEST_CHECK_TIMEOUT", "3"))
if os.environ.get("FASTAPI_TEST_APP_DIR"):
    app.state.APP_DIR = os.environ["FASTAPI_TEST_APP_DIR"]

_released = asyncio.Event()


@checks.register
def sync_ok() -> list[checks.CheckMessage]:
    return []


@checks.register
async def async_ok() -> list[checks.CheckMessage]:
    await asyncio.sleep(0)
    return []


if os.environ.get("FASTAPI_TEST_REDIS_URL"):
    import redis.asyncio

    _redis = redis.asyncio.Redis.from_url(
        os.environ["FASTAPI_TEST_REDIS_URL"], socket_connect_timeout=1, socket_timeout=1
    )
    checks.register_partial(check_redis_connected, _redis)

if os.environ.get("FASTAPI_TEST_HANG"):
    _never = threading.Event()

    @checks.register
    def hangs() -> list[checks.CheckMessage]:
        _never.wait()
        return []


@app.get("/pid")
async def pid() -> dict[str, int]:
    return {"pid": os.getpid()}


@app.get("/block")
async def block(until: str) -> dict[str, int]:
    release = Path(until)
    Path(f"{until}.pid").write_text(str(os.getpid()))
    deadline = time.monotonic() + 30
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.02)  # on purpose: this worker accepts nothing meanwhile
    return {"pid": os.getpid()}


@app.get("/log")
async def log_something() -> dict[str, int]:
    logging.getLogger("e2e.view").warning("a line from the view")
    return {"pid": os.getpid()}


@app.get("/stream")
async def stream() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first\n"
        await asyncio.wait_for(_released.wait(), 20)
        yield b"second\n"

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/release")
async def release() -> dict[str, bool]:
    _released.set()
    return {"released": True}
