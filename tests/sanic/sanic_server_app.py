"""The app that the end-to-end tests run under the real Sanic server (``sanic`` CLI).

Configured through the environment, as a deployed app is:

* ``SANIC_DOCKERFLOW_*``: Dockerflow settings (Sanic loads ``SANIC_``-prefixed variables
  into ``app.config``);
* ``DOCKERFLOW_TEST_VERSION_PATH``: where ``version.json`` is;
* ``DOCKERFLOW_TEST_REDIS_URL``: adds Redis through sanic-redis;
* ``DOCKERFLOW_TEST_HANG=1``: adds an async check and a sync check that hang.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from typing import Any

from sanic import Sanic, response

from dockerflow.sanic import Dockerflow, checks

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
    "formatters": {
        "mozlog": {"()": "dockerflow.logging.MozlogFormatter", "logger_name": "e2e"},
        "plain": {"format": "%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"},
    },
    "handlers": {
        # MozlogHandler, not logging.StreamHandler: the `sanic` command line replaces
        # StreamHandler.emit with a traceback printer that breaks the one-line JSON.
        "console": {
            "class": "dockerflow.logging.MozlogHandler",
            "name": "e2e",
            "filters": ["request_id"],
        },
        "plain": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "loggers": {
        "request.summary": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "e2e": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "dockerflow": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "sanic": {"handlers": ["plain"], "level": "INFO", "propagate": False},
    },
}

app = Sanic("dockerflow_e2e", log_config=LOGGING)
redis = None
if os.environ.get("DOCKERFLOW_TEST_REDIS_URL"):
    from sanic_redis import SanicRedis

    app.config.REDIS = os.environ["DOCKERFLOW_TEST_REDIS_URL"]
    redis = SanicRedis(app)

dockerflow = Dockerflow(
    app, redis=redis, version_path=os.environ.get("DOCKERFLOW_TEST_VERSION_PATH", ".")
)
log = logging.getLogger("e2e")


@dockerflow.check
async def always_fine() -> list[checks.CheckMessage]:
    return []


if os.environ.get("DOCKERFLOW_TEST_HANG") == "1":
    release = threading.Event()

    @app.before_server_stop
    async def release_hung_threads(app: Sanic) -> None:
        release.set()  # so the worker can exit without waiting for the hung thread

    @dockerflow.check
    async def hung_async() -> list[checks.CheckMessage]:
        await asyncio.Event().wait()
        return []

    @dockerflow.check
    def hung_sync() -> list[checks.CheckMessage]:
        release.wait(60)  # blocks its thread, as a stuck driver call does
        return []


@app.after_server_start
async def announce(app: Sanic) -> None:
    log.info("worker serving")  # the tests wait for one such line per worker


@app.get("/boom")
async def boom(request: Any) -> Any:
    raise ValueError("view boom")


@app.get("/pid")
async def pid(request: Any) -> Any:
    log.info("pid requested")
    # ?block=SECONDS holds this worker's loop, so concurrent connections go to the other.
    block = float(request.args.get("block", 0))
    if block:
        time.sleep(min(block, 1.0))
    return response.json({"pid": os.getpid(), "rid": request.ctx.id})


@app.get("/slow")
async def slow(request: Any) -> Any:
    started = time.monotonic()
    await asyncio.sleep(0.2)
    return response.json({"slept": time.monotonic() - started})
