"""The database and Redis checks of dockerflow.checks.services, against real servers:
answers, IDs, the retry of a dead pooled connection, and recovery with the clients'
default retry settings (redis-py 8 backs off longer than a short check timeout)."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
import sqlalchemy
from redis.backoff import NoBackoff
from redis.retry import Retry
from services import PostgresServer, RedisServer, RespServer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from dockerflow import checks, health
from dockerflow.checks.services import (
    check_redis_connected,
    check_redis_connected_async,
    check_sqlalchemy_connected,
    check_sqlalchemy_connected_async,
)


def _ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def test_no_third_party_import_at_import_time() -> None:
    code = (
        "import sys, dockerflow.checks.services, dockerflow.checks;"
        "print(sorted(m for m in ('redis', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- SQLAlchemy -----------------------------------------------------------------------------


@pytest.fixture
def database(postgres_service: PostgresServer) -> str:
    url = postgres_service.create_database("dockerflow_service_checks")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def engines() -> Iterator[list[sqlalchemy.engine.Engine]]:
    made: list[sqlalchemy.engine.Engine] = []
    yield made
    for engine in made:
        engine.dispose()


def _connects(engine: sqlalchemy.engine.Engine) -> list[int]:
    count: list[int] = []
    sqlalchemy.event.listen(engine, "connect", lambda *args: count.append(1))
    return count


def test_sqlalchemy_up_down_up(database: str, postgres_service: PostgresServer, engines) -> None:
    engine = sqlalchemy.create_engine(database, connect_args={"connect_timeout": 2})
    engines.append(engine)
    assert check_sqlalchemy_connected(engine) == []
    postgres_service.stop()
    try:
        assert _ids(check_sqlalchemy_connected(engine)) == [health.ERROR_DB_API_EXCEPTION]
    finally:
        postgres_service.start()
    assert check_sqlalchemy_connected(engine) == []


@pytest.mark.parametrize("pre_ping", [False, True], ids=["no-pre-ping", "pre-ping"])
def test_a_dead_pooled_connection_is_not_a_dead_database(
    database: str, postgres_service: PostgresServer, engines, pre_ping: bool, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="dockerflow.checks.services")
    engine = sqlalchemy.create_engine(database, pool_pre_ping=pre_ping)
    witness = sqlalchemy.create_engine(database, pool_pre_ping=pre_ping)
    engines.extend([engine, witness])
    connects = _connects(engine)
    assert check_sqlalchemy_connected(engine) == []  # the pool now holds a connection
    with witness.connect() as connection:
        connection.execute(sqlalchemy.text("SELECT 1"))
    assert connects == [1]

    postgres_service.restart()  # every pooled connection died with the old server

    if not pre_ping:  # the premise: the pooled connection fails and is invalidated
        with pytest.raises(DBAPIError) as failed, witness.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
        assert failed.value.connection_invalidated
    assert check_sqlalchemy_connected(engine) == []
    assert connects == [1, 1]  # one fresh connection
    retried = [r for r in caplog.records if "invalidated" in r.getMessage()]
    assert len(retried) == (0 if pre_ping else 1)


def test_a_failure_on_the_fresh_connection_is_reported(
    database: str, postgres_service: PostgresServer, engines, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="dockerflow.checks.services")
    engine = sqlalchemy.create_engine(database, connect_args={"connect_timeout": 2})
    engines.append(engine)
    assert check_sqlalchemy_connected(engine) == []
    postgres_service.stop()
    try:
        messages = check_sqlalchemy_connected(engine)
    finally:
        postgres_service.start()
    assert _ids(messages) == [health.ERROR_DB_API_EXCEPTION]
    assert any("invalidated" in r.getMessage() for r in caplog.records)  # it did retry


def test_sqlalchemy_misconfigured_is_e009() -> None:
    class Unconfigured:  # what Flask-SQLAlchemy's db is when it cannot build its engine
        @property
        def engine(self) -> Any:
            raise sqlalchemy.exc.ArgumentError("Could not parse SQLAlchemy URL from 'nope'")

    assert _ids(check_sqlalchemy_connected(Unconfigured())) == [health.ERROR_SQLALCHEMY_EXCEPTION]


def test_async_engine_retries_a_dead_pooled_connection(
    database: str, postgres_service: PostgresServer
) -> None:
    async def main() -> tuple[list[Any], list[Any], list[Any]]:
        engine = create_async_engine(database)
        try:
            before = await check_sqlalchemy_connected_async(engine)
            postgres_service.restart()
            after = await check_sqlalchemy_connected_async(engine)
            postgres_service.stop()
            try:
                down = await check_sqlalchemy_connected_async(engine)
            finally:
                postgres_service.start()
            return before, after, down
        finally:
            await engine.dispose()

    before, after, down = asyncio.run(main())
    assert before == [] and after == []
    assert _ids(down) == [health.ERROR_DB_API_EXCEPTION]


def test_async_check_of_a_sync_engine_runs_off_the_loop(database: str, engines) -> None:
    engine = sqlalchemy.create_engine(database)
    engines.append(engine)
    threads: list[str] = []
    sqlalchemy.event.listen(
        engine, "connect", lambda *a: threads.append(threading.current_thread().name)
    )
    assert asyncio.run(check_sqlalchemy_connected_async(engine)) == []
    assert threads and threads[0].startswith("dockerflow-check-")


# -- Redis ----------------------------------------------------------------------------------


def test_redis_up_down_up_with_default_retries(redis_service: RedisServer) -> None:
    client = redis.Redis.from_url(redis_service.url)
    try:
        assert check_redis_connected(client) == []
        redis_service.stop()
        try:
            assert _ids(check_redis_connected(client)) == [health.ERROR_CANNOT_CONNECT_REDIS]
        finally:
            redis_service.start()
        assert check_redis_connected(client) == []  # the pooled connection died: reconnects
    finally:
        client.close()


def test_redis_timeout_is_e010_and_a_wrong_answer_e007(redis_service: RedisServer) -> None:
    client = redis.Redis.from_url(
        redis_service.url, socket_timeout=0.3, retry=Retry(NoBackoff(), 0)
    )
    try:
        assert check_redis_connected(client) == []
        redis_service.pause()
        try:
            assert _ids(check_redis_connected(client)) == [health.ERROR_REDIS_EXCEPTION]
        finally:
            redis_service.resume()
        client.set_response_callback("PING", lambda response, **options: "not pong")
        assert _ids(check_redis_connected(client)) == [health.ERROR_REDIS_PING_FAILED]
    finally:
        client.close()
    assert _ids(check_redis_connected(None)) == [health.ERROR_MISSING_REDIS_CLIENT]


def test_redis_async_client_and_sync_client_from_a_loop(redis_service: RedisServer) -> None:
    async def main() -> list[list[str]]:
        aclient = redis.asyncio.Redis.from_url(redis_service.url)
        sclient = redis.Redis.from_url(redis_service.url)
        try:
            seen = [
                _ids(await check_redis_connected_async(aclient)),
                _ids(await check_redis_connected_async(sclient)),
            ]
            redis_service.stop()
            try:
                seen.append(_ids(await check_redis_connected_async(aclient)))
                seen.append(_ids(await check_redis_connected_async(sclient)))
            finally:
                redis_service.start()
            seen.append(_ids(await check_redis_connected_async(aclient)))
            seen.append(_ids(await check_redis_connected_async(sclient)))
            seen.append(_ids(await check_redis_connected_async(None)))
            return seen
        finally:
            await aclient.aclose()
            sclient.close()

    e004 = health.ERROR_CANNOT_CONNECT_REDIS
    assert asyncio.run(main()) == [
        [],
        [],
        [e004],
        [e004],
        [],
        [],
        [health.ERROR_MISSING_REDIS_CLIENT],
    ]


# -- a reply redis-py cannot read ------------------------------------------------------------


def _redis_check(flavour: str, **options: Any) -> list[Any]:
    """check_redis_connected (sync) or check_redis_connected_async (redis.asyncio)."""
    if flavour == "sync":
        client = redis.Redis(**options)
        try:
            return check_redis_connected(client)
        finally:
            client.close()

    async def main() -> list[Any]:
        aclient = redis.asyncio.Redis(**options)
        try:
            return await check_redis_connected_async(aclient)
        finally:
            await aclient.aclose()

    return asyncio.run(main())


@pytest.mark.parametrize(
    "flavour, password, fails_since_8_1",
    [
        ("sync", None, True),
        ("sync", "s3cret", False),
        ("asyncio", None, False),
        ("asyncio", "s3cret", True),
    ],
)
def test_a_handshake_reply_redis_py_cannot_read_is_e007(
    flavour: str, password: str | None, fails_since_8_1: bool
) -> None:
    """HELLO answered ``+NOPE`` instead of a map: redis-py 8.2 raises ``AttributeError:
    'bytes' object has no attribute 'get'`` in its connection handshake, sync and asyncio,
    with or without AUTH; 8.1 did too where ``fails_since_8_1``, and elsewhere went on to
    PING, whose ``+NOPE`` is a wrong answer. E007 either way, never an unexpected
    exception (E100)."""
    with RespServer(b"+NOPE\r\n", other_reply=b"+NOPE\r\n") as server:
        options = {"host": server.host, "port": server.port, "password": password}
        options.update(protocol=3, socket_timeout=2)
        messages = _redis_check(flavour, **options)
        assert server.received("HELLO")
    assert _ids(messages) == [health.ERROR_REDIS_PING_FAILED]
    assert messages[0].msg.startswith("Redis ping failed")
    failed_in_handshake = not server.received("PING")
    assert failed_in_handshake or not fails_since_8_1
    if failed_in_handshake:  # redis-py raised: its text is in the message
        assert messages[0].msg.startswith(
            "Redis ping failed: redis-py could not read the server's reply (AttributeError: "
        ), messages[0].msg


class _OwnClient:
    """A client of the application's own: its bug is not a reply redis-py failed to read."""

    def ping(self) -> bool:
        reply: Any = b"PONG"
        return bool(reply.get("proto"))  # AttributeError, raised here, not in redis-py


class _OwnAsyncClient:
    async def ping(self) -> bool:
        return _OwnClient().ping()


def test_an_attribute_error_outside_redis_py_stays_unexpected(redis_service: RedisServer) -> None:
    with pytest.raises(AttributeError):
        check_redis_connected(_OwnClient())
    with pytest.raises(AttributeError):
        asyncio.run(check_redis_connected_async(_OwnAsyncClient()))
    results = checks.run_checks([("redis", lambda: check_redis_connected(_OwnClient()))])
    assert list(results.details["redis"]["messages"]) == [health.ERROR_CHECK_EXCEPTION]

    def broken_callback(response: Any, **options: Any) -> Any:
        return {}[response]  # the application's response callback: KeyError, raised here

    client = redis.Redis.from_url(redis_service.url)
    client.set_response_callback("PING", broken_callback)
    try:
        with pytest.raises(KeyError):
            check_redis_connected(client)
    finally:
        client.close()


# -- through the runner: the first heartbeat after Redis is back answers ok ------------------


@pytest.mark.parametrize("flavour", ["sync", "asyncio"])
def test_first_heartbeat_after_redis_is_back_is_ok(
    redis_service: RedisServer, flavour: str
) -> None:
    """redis-py 8's default retry backs off for up to ~4.4 s on a refused connection,
    longer than the 1 s check timeout: the run is still going when Redis is back. The
    heartbeat after the restart answers from a fresh run, not the stale one."""
    timeout = 1.0
    # The constructor's defaults (redis-py 8: 10 retries, jittered exponential back-off),
    # which retry a refused connection; a client made by from_url does not.
    options = {"host": redis_service.host, "port": redis_service.port}
    options.update(socket_connect_timeout=1, socket_timeout=1)
    if flavour == "sync":
        client: Any = redis.Redis(**options)

        def heartbeat() -> checks.ChecksResults:
            return checks.run_checks([("redis", check)], timeout=timeout)

        def check() -> list[Any]:
            return check_redis_connected(client)

        for _ in range(3):
            assert heartbeat().statuses == {"redis": "ok"}
        redis_service.stop()
        down = [heartbeat() for _ in range(3)]
        redis_service.start()
        back = heartbeat()
        client.close()
    else:

        async def scenario() -> tuple[list[checks.ChecksResults], checks.ChecksResults]:
            aclient = redis.asyncio.Redis(**options)

            async def check() -> list[Any]:
                return await check_redis_connected_async(aclient)

            async def heartbeat() -> checks.ChecksResults:
                return await checks.run_checks_async([("redis", check)], timeout=timeout)

            for _ in range(3):
                assert (await heartbeat()).statuses == {"redis": "ok"}
            redis_service.stop()
            down = [await heartbeat() for _ in range(3)]
            redis_service.start()
            back = await heartbeat()
            await aclient.aclose()
            return down, back

        down, back = asyncio.run(scenario())
    for results in down:
        assert results.statuses == {"redis": "error"}
        assert set(results.details["redis"]["messages"]) <= {
            health.ERROR_CANNOT_CONNECT_REDIS,
            health.ERROR_CHECK_TIMEOUT,
        }
    # The scenario: from redis-py 7 on, the client's retries of a refused connection
    # outlive the check timeout (redis-py 6 reports the refusal at once).
    if int(redis.__version__.split(".")[0]) >= 7:
        assert any(health.ERROR_CHECK_TIMEOUT in r.details["redis"]["messages"] for r in down)
    assert back.statuses == {"redis": "ok"}, back.details
