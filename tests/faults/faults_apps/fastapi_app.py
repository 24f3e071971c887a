"""FastAPI under uvicorn, with the integration's built-in checks registered as its docs
say: a sync SQLAlchemy engine with ``pool_pre_ping`` (checked on core's check threads)
and a sync redis-py client (its PING off the loop)."""

from __future__ import annotations

import os
from typing import Any

import redis
import sqlalchemy
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from dockerflow import checks
from dockerflow.fastapi import router
from dockerflow.fastapi.checks import check_database_connected, check_redis_connected

from . import PID_HEADER, check_timeout, database_url, occupy, redis_options

app = FastAPI()
app.include_router(router)
app.state.DOCKERFLOW_CHECK_TIMEOUT = check_timeout()

engine = sqlalchemy.create_engine(database_url(), pool_pre_ping=True)
checks.register_partial(check_database_connected, engine)
checks.register_partial(check_redis_connected, redis.Redis(**redis_options()))


@app.middleware("http")
async def worker_pid(request: Any, call_next: Any) -> Any:
    response = await call_next(request)
    response.headers[PID_HEADER] = str(os.getpid())
    return response


@app.get("/__pid__", response_class=PlainTextResponse)
async def pid() -> str:
    return str(os.getpid())


@app.get("/__occupy__", response_class=PlainTextResponse)
async def occupied(token: str = "") -> str:
    return str(occupy(token))  # blocks the event loop on purpose
