"""Dockerflow(app, redis=...) refuses at setup what can never be a Redis client, with a
TypeError naming the argument, and keeps accepting clients and SanicRedis."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import redis
import redis.asyncio
from sanic import Sanic
from sanic_redis import SanicRedis

from dockerflow.sanic import Dockerflow

_names = itertools.count()


def new_app() -> Sanic[Any, Any]:
    return Sanic(f"arguments_{next(_names)}", configure_logging=False)


@pytest.mark.parametrize(
    ("value", "given"),
    [
        (redis, "not the module 'redis'"),
        (redis.asyncio.Redis, "not the class redis.asyncio.client.Redis"),
        ("redis://localhost:6379/0", "a str without .ping"),
    ],
    ids=["module", "class", "url"],
)
def test_rejected_at_init(value: Any, given: str) -> None:
    app = new_app()
    with pytest.raises(TypeError, match=r"^redis= expects a Redis client") as info:
        Dockerflow(app, redis=value)
    assert given in str(info.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda app: redis.asyncio.Redis.from_url("redis://127.0.0.1:1/0"),
        lambda app: redis.Redis.from_url("redis://127.0.0.1:1/0"),
        lambda app: SanicRedis(app),  # its client exists only once the server starts
    ],
    ids=["async-client", "sync-client", "sanic-redis"],
)
def test_clients_are_accepted(make: Any) -> None:
    app = new_app()
    dockerflow = Dockerflow(app, redis=make(app))
    assert "check_redis_connected" in dockerflow.registry.get_checks()
