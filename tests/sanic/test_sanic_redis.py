"""The built-in Redis check against a real Redis server, through ``redis.asyncio``,
a plain ``redis.Redis`` client and sanic-redis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from sanic_redis import SanicRedis
from services import RedisServer, RespServer, free_port

from dockerflow import health
from dockerflow.sanic import Dockerflow
from dockerflow.sanic.checks import check_redis_connected

E004 = health.ERROR_CANNOT_CONNECT_REDIS
E005 = health.ERROR_MISSING_REDIS_CLIENT
E007 = health.ERROR_REDIS_PING_FAILED
E010 = health.ERROR_REDIS_EXCEPTION


def _ids(answer: Any) -> list[str]:
    return list(answer.json()["details"]["check_redis_connected"]["messages"])


def test_redis_asyncio_client_outage_and_recovery(
    make_app: Any, live_server: Any, redis_service: RedisServer
) -> None:
    app = make_app()
    client = aioredis.from_url(redis_service.url)
    Dockerflow(app, redis=client)
    server = live_server(app)

    answer = server.get("/__heartbeat__")
    assert answer.status == 200
    assert answer.json()["checks"] == {"check_redis_connected": "ok"}

    redis_service.stop()
    answer = server.get("/__heartbeat__")
    assert answer.status == 500
    assert _ids(answer) == [E004]
    assert (
        "Could not connect to redis"
        in (answer.json()["details"]["check_redis_connected"]["messages"][E004])
    )

    redis_service.start()
    answer = server.get("/__heartbeat__")
    assert answer.status == 200


def test_sanic_redis_outage_and_recovery(
    make_app: Any, live_server: Any, redis_service: RedisServer
) -> None:
    app = make_app()
    app.config.REDIS = redis_service.url
    redis_ext = SanicRedis(app)
    Dockerflow(app, redis=redis_ext)
    server = live_server(app)  # sanic-redis connects in its before_server_start listener

    assert server.get("/__heartbeat__").status == 200
    redis_service.stop()
    answer = server.get("/__heartbeat__")
    assert (answer.status, _ids(answer)) == (500, [E004])
    redis_service.start()
    assert server.get("/__heartbeat__").status == 200


def test_sanic_redis_with_custom_config_name(
    make_app: Any, live_server: Any, redis_service: RedisServer
) -> None:
    app = make_app()
    app.config.CACHE_REDIS = redis_service.url
    Dockerflow(app, redis=SanicRedis(app, config_name="CACHE_REDIS"))
    server = live_server(app)
    assert server.get("/__heartbeat__").status == 200


def test_sanic_redis_before_the_server_started(make_app: Any, redis_service: RedisServer) -> None:
    app = make_app()
    app.config.REDIS = redis_service.url
    dockerflow = Dockerflow(app, redis=SanicRedis(app))
    # no server, so sanic-redis made no client yet: a clear error, not a crash
    assert asyncio.run(dockerflow._check_redis())[0].id == E005


def test_sync_redis_client(make_app: Any, live_server: Any, redis_service: RedisServer) -> None:
    app = make_app()
    Dockerflow(app, redis=redis.Redis.from_url(redis_service.url))
    server = live_server(app)
    assert server.get("/__heartbeat__").status == 200
    redis_service.stop()
    answer = server.get("/__heartbeat__")
    assert (answer.status, _ids(answer)) == (500, [E004])


@pytest.fixture
def limited_user(redis_service: RedisServer) -> Iterator[str]:
    """A Redis ACL user that may not run PING: its PING gets a NOPERM error."""
    redis_service.command("ACL", "SETUSER", "limited", "on", ">secret", "~*", "-@all")
    yield f"redis://limited:secret@{redis_service.host}:{redis_service.port}/0"
    if redis_service.running:
        redis_service.command("ACL", "DELUSER", "limited")


def test_other_redis_error(
    make_app: Any, live_server: Any, limited_user: str, redis_service: RedisServer
) -> None:
    app = make_app()
    Dockerflow(app, redis=aioredis.from_url(limited_user))
    answer = live_server(app).get("/__heartbeat__")
    assert (answer.status, _ids(answer)) == (500, [E010])
    assert "Redis error" in answer.json()["details"]["check_redis_connected"]["messages"][E010]


@pytest.fixture
def wrong_pong_server() -> Iterator[str]:
    """A server speaking the Redis protocol that answers ``+NOPE`` to every command: the
    reply to ``HELLO`` too, which redis-py 8.2's ``redis.asyncio`` fails to read
    (``AttributeError``) and 8.1 did not check."""
    with RespServer(b"+NOPE\r\n", other_reply=b"+NOPE\r\n") as server:
        yield server.url


def test_wrong_ping_answer(make_app: Any, live_server: Any, wrong_pong_server: str) -> None:
    app = make_app()
    Dockerflow(app, redis=aioredis.from_url(wrong_pong_server))
    answer = live_server(app).get("/__heartbeat__")
    assert (answer.status, _ids(answer)) == (500, [E007])
    message = answer.json()["details"]["check_redis_connected"]["messages"][E007]
    assert message.startswith("Redis ping failed")


def test_check_function_directly(redis_service: RedisServer) -> None:
    async def go() -> list[Any]:
        client = aioredis.from_url(redis_service.url)
        try:
            ok = await check_redis_connected(client)
            none = await check_redis_connected(None)

            class OldSanicRedis:  # sanic-redis before 0.6 kept its client as .conn
                conn = client

            old = await check_redis_connected(OldSanicRedis())
        finally:
            await client.aclose()
        refused = await check_redis_connected(aioredis.from_url(f"redis://127.0.0.1:{free_port()}"))
        return [ok, [m.id for m in none], old, [m.id for m in refused]]

    assert asyncio.run(go()) == [[], [E005], [], [E004]]
