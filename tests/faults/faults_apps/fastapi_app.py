"""FastAPI under uvicorn: a sync SQLAlchemy engine with ``pool_pre_ping`` (checked on
core's check threads) and a sync redis-py client (its PING off the loop), through
``dockerflow.checks.services``."""

from __future__ import annotations

import os
from typing import Any

import redis
import sqlalchemy
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from dockerflow import checks
from dockerflow.checks.services import check_redis_connected_async, check_sqlalchemy_connected
from dockerflow.fastapi import router

from . import PID_HEADER, check_timeout, database_url, occupy, redis_options

app = FastAPI()
app.include_router(router)
app.state.DOCKERFLOW_CHECK_TIMEOUT = check_timeout()

engine = sqlalchemy.create_engine(database_url(), pool_pre_ping=True)
checks.register_partial(check_sqlalchemy_connected, engine, name="check_database_connected")
checks.register_partial(
    check_redis_connected_async, redis.Redis(**redis_options()), name="check_redis_connected"
)


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
