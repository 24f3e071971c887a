"""A small FastAPI app following the Dockerflow spec.

Run it with ``bash examples/fastapi/run.sh`` (uvicorn on 127.0.0.1:8000, two workers), or::

    uvicorn app:app --host 127.0.0.1 --port "${PORT:-8000}" --workers 2 --log-config logging.json

Configuration comes from the environment: every ``DOCKERFLOW_*`` variable becomes a
setting on ``app.state`` (``DOCKERFLOW_CHECK_TIMEOUT=2``,
``DOCKERFLOW_ENABLE_ERROR_ENDPOINT=false``, ...), ``APP_DIR`` is where ``version.json``
is (this directory by default; ``/app`` in the image), and ``REDIS_URL`` adds a Redis
check. Logs are mozlog JSON on stdout, uvicorn's own included (``logging.json``), every
line written during a request tagged with its request id.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from dockerflow import checks
from dockerflow.fastapi import router
from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware
from dockerflow.logging import request_id_context

HERE = os.path.dirname(os.path.abspath(__file__))

app = FastAPI(title="dockerflow-fastapi example")
app.include_router(router)
app.add_middleware(MozlogRequestSummaryLogger)
app.add_middleware(RequestIdMiddleware)

app.state.APP_DIR = os.environ.get("APP_DIR", HERE)
for name, value in os.environ.items():
    if name.startswith("DOCKERFLOW_"):
        setattr(app.state, name, value)

if os.environ.get("REDIS_URL"):
    import redis.asyncio

    from dockerflow.fastapi.checks import check_redis_connected

    redis_client = redis.asyncio.Redis.from_url(
        os.environ["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1
    )
    checks.register_partial(check_redis_connected, redis_client)


@checks.register
def disk_space() -> list[checks.CheckMessage]:
    # A sync check: it runs on a worker thread, never on the event loop.
    stat = os.statvfs("/tmp")
    free = stat.f_bavail * stat.f_frsize
    if free < 50 * 1024 * 1024:
        return [checks.Warning(f"only {free} bytes free in /tmp", id="example.health.W001")]
    return []


@app.get("/")
async def index() -> dict[str, str | None]:
    return {"hello": "world", "request_id": request_id_context.get()}
