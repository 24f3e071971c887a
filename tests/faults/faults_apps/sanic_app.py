"""Sanic with its own workers: a ``redis.asyncio`` client and an async SQLAlchemy engine
(psycopg's async driver), through ``dockerflow.checks.services``."""

from __future__ import annotations

import os
from typing import Any

import redis.asyncio
from sanic import Sanic, response
from sqlalchemy.ext.asyncio import create_async_engine

from dockerflow.checks.services import check_sqlalchemy_connected_async
from dockerflow.sanic import Dockerflow

from . import PID_HEADER, check_timeout, database_url, occupy, redis_options

app = Sanic("dockerflow_faults")
app.config.DOCKERFLOW_CHECK_TIMEOUT = check_timeout()
dockerflow = Dockerflow(app, redis=redis.asyncio.Redis(**redis_options()))
engine: Any = None


@app.before_server_start
async def connect(app: Sanic, _loop: Any) -> None:
    global engine
    engine = create_async_engine(database_url())


@dockerflow.check
async def check_database_connected() -> Any:
    return await check_sqlalchemy_connected_async(engine)


@app.on_response
async def worker_pid(request: Any, resp: Any) -> None:
    resp.headers[PID_HEADER] = str(os.getpid())


@app.get("/__pid__")
async def pid(request: Any) -> Any:
    return response.text(str(os.getpid()))


@app.get("/__occupy__")
async def occupied(request: Any) -> Any:
    return response.text(str(occupy(request.args.get("token", ""))))  # blocks the loop
