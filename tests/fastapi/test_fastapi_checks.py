"""The built-in checks of ``dockerflow.fastapi.checks`` against a real PostgreSQL and a real
Redis (tests/services.py), through the heartbeat of a FastAPI app."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
from fastapi import FastAPI
from fastapi.testclient import TestClient
from services import PostgresServer, RedisServer
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine

from dockerflow import checks, health
from dockerflow.fastapi.checks import check_database_connected, check_redis_connected

AppFactory = Callable[..., FastAPI]


def heartbeat(client: TestClient) -> tuple[int, dict[str, Any]]:
    answer = client.get("/__heartbeat__")
    return answer.status_code, answer.json()


def serve(app: FastAPI) -> TestClient:
    """A client whose one event loop lives as long as its ``with`` block, as a server's
    does: an asyncio engine or Redis client belongs to the loop it first ran on."""
    return TestClient(app, raise_server_exceptions=False)


def ids(body: dict[str, Any], check: str) -> list[str]:
    return list(body.get("details", {}).get(check, {}).get("messages", {}))


@pytest.fixture
def pg_url(postgres_service: PostgresServer) -> Iterator[str]:
    url = postgres_service.create_database(f"fastapi_{uuid.uuid4().hex[:12]}")
    yield url.replace("postgresql://", "postgresql+psycopg://", 1)


def test_message_classes_are_reexported() -> None:
    from dockerflow.fastapi import checks as fastapi_checks

    assert fastapi_checks.Error is checks.Error
    assert fastapi_checks.WARNING == checks.WARNING


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_database_check_up_down_and_back(
    make_app: AppFactory, postgres_service: PostgresServer, pg_url: str, kind: str
) -> None:
    engine: Any = (
        create_engine(pg_url, connect_args={"connect_timeout": 2})
        if kind == "sync"
        else create_async_engine(pg_url, connect_args={"connect_timeout": 2})
    )
    checks.register_partial(check_database_connected, engine)
    with serve(make_app(DOCKERFLOW_CHECK_TIMEOUT=10)) as client:
        assert heartbeat(client) == (
            200,
            {"status": "ok", "checks": {"check_database_connected": "ok"}, "details": {}},
        )
        postgres_service.stop()
        try:
            status, body = heartbeat(client)
            assert status == 500
            assert ids(body, "check_database_connected") == [health.ERROR_DB_API_EXCEPTION]
        finally:
            postgres_service.start()
        # The pool's connections died with the server: the first heartbeat after the
        # restart retries on a fresh connection and passes.
        assert heartbeat(client)[0] == 200
        if kind == "async":
            client.portal.call(engine.dispose)  # type: ignore[union-attr]
    if kind == "sync":
        engine.dispose()


def test_database_check_sqlalchemy_error(make_app: AppFactory, pg_url: str) -> None:
    engine = create_engine(pg_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    held = engine.connect()  # the only connection of the pool: the check cannot get one
    try:
        checks.register_partial(check_database_connected, engine)
        with serve(make_app()) as client:
            status, body = heartbeat(client)
        assert status == 500
        assert ids(body, "check_database_connected") == [health.ERROR_SQLALCHEMY_EXCEPTION]
    finally:
        held.close()
        engine.dispose()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_redis_check_up_down_and_back(
    make_app: AppFactory, redis_service: RedisServer, kind: str
) -> None:
    options = {"socket_connect_timeout": 1, "socket_timeout": 1}
    client_of_redis: Any = (
        redis.Redis.from_url(redis_service.url, **options)
        if kind == "sync"
        else redis.asyncio.Redis.from_url(redis_service.url, **options)
    )
    checks.register_partial(check_redis_connected, client_of_redis)
    with serve(make_app(DOCKERFLOW_CHECK_TIMEOUT=10)) as client:
        assert heartbeat(client) == (
            200,
            {"status": "ok", "checks": {"check_redis_connected": "ok"}, "details": {}},
        )
        redis_service.stop()
        try:
            status, body = heartbeat(client)
            assert status == 500
            assert ids(body, "check_redis_connected") == [health.ERROR_CANNOT_CONNECT_REDIS]
        finally:
            redis_service.start()
        assert heartbeat(client)[0] == 200
        if kind == "async":
            client.portal.call(client_of_redis.aclose)  # type: ignore[union-attr]
    if kind == "sync":
        client_of_redis.close()


def test_redis_check_without_a_client(make_app: AppFactory) -> None:
    checks.register_partial(check_redis_connected, None)
    with serve(make_app()) as client:
        status, body = heartbeat(client)
    assert status == 500
    assert ids(body, "check_redis_connected") == [health.ERROR_MISSING_REDIS_CLIENT]


def test_redis_check_when_authentication_is_required(
    make_app: AppFactory, redis_service: RedisServer
) -> None:
    redis_service.command("CONFIG", "SET", "requirepass", "s3cret")
    try:
        checks.register_partial(check_redis_connected, redis.Redis.from_url(redis_service.url))
        with serve(make_app()) as client:
            status, body = heartbeat(client)
        assert status == 500
        assert ids(body, "check_redis_connected") == [health.ERROR_CANNOT_CONNECT_REDIS]
        assert "s3cret" not in str(body)
    finally:
        authed = redis.Redis.from_url(redis_service.url, password="s3cret")
        authed.config_set("requirepass", "")
        authed.close()
    assert redis_service.ping()
