"""A small Sanic app following the Dockerflow spec.

Run it with ``bash examples/sanic/run.sh`` (Sanic's own server on 127.0.0.1:8000), or::

    sanic app:app --host 127.0.0.1 --port "${PORT:-8000}" --workers 2

Configuration comes from the environment: Sanic loads ``SANIC_``-prefixed variables
into ``app.config`` (``SANIC_DOCKERFLOW_CHECK_TIMEOUT=2``,
``SANIC_DOCKERFLOW_ENABLE_ERROR_ENDPOINT=false``, ...), ``REDIS_URL`` adds a Redis
check through sanic-redis. Logs are mozlog JSON on stdout, every line tagged with the
request id.
"""

from __future__ import annotations

import os
from typing import Any

from sanic import Sanic, response

from dockerflow.sanic import Dockerflow, checks

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
    "formatters": {
        "mozlog": {"()": "dockerflow.logging.MozlogFormatter", "logger_name": "example"}
    },
    "handlers": {
        # MozlogHandler, not logging.StreamHandler: the `sanic` command line replaces
        # StreamHandler.emit with a traceback printer that breaks the one-line JSON.
        "console": {
            "class": "dockerflow.logging.MozlogHandler",
            "name": "example",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "request.summary": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "sanic.access": {"level": "WARNING"},  # request.summary already logs each request
    },
}

app = Sanic("example", log_config=LOGGING)

redis = None
if os.environ.get("REDIS_URL"):
    from sanic_redis import SanicRedis

    app.config.REDIS = os.environ["REDIS_URL"]
    redis = SanicRedis(app)

# version.json next to this file (/app in the image), unless VERSION_PATH says otherwise.
HERE = os.path.dirname(os.path.abspath(__file__))
dockerflow = Dockerflow(app, redis=redis, version_path=os.environ.get("VERSION_PATH", HERE))


@dockerflow.check
async def disk_space() -> list[checks.CheckMessage]:
    stat = os.statvfs("/tmp")
    free = stat.f_bavail * stat.f_frsize
    if free < 50 * 1024 * 1024:
        return [checks.Warning(f"only {free} bytes free in /tmp", id="example.health.W001")]
    return []


@app.get("/")
async def index(request: Any) -> Any:
    return response.json({"hello": "world", "request_id": request.ctx.id})
