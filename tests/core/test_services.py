"""The test suite's own service fixtures: real Redis and PostgreSQL servers that tests can
stop (an outage) and start again."""

from __future__ import annotations

import uuid

import psycopg
import pytest
import redis
from services import PostgresServer, RedisServer, port_is_open


def _redis_client(server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(server.url, socket_connect_timeout=2, socket_timeout=2)


def _connect(server: PostgresServer, dbname: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(server.url(dbname), connect_timeout=5, autocommit=True)


# -- Redis ------------------------------------------------------------------------------------


def test_redis_connection_info(redis_service: RedisServer) -> None:
    assert redis_service.host == "127.0.0.1"
    assert redis_service.url == f"redis://127.0.0.1:{redis_service.port}/0"
    assert redis_service.running


def test_redis_ping_set_get(redis_service: RedisServer) -> None:
    client = _redis_client(redis_service)
    assert client.ping() is True
    client.set("greeting", "hello")
    assert client.get("greeting") == b"hello"


def test_redis_raw_client(redis_service: RedisServer) -> None:
    assert redis_service.command("PING") == "PONG"
    assert redis_service.command("SET", "k", "v") == "OK"
    assert redis_service.command("GET", "k") == "v"
    assert redis_service.command("GET", "missing") is None
    assert redis_service.command("INCR", "n") == 1


def test_redis_service_is_flushed_between_tests(redis_service: RedisServer) -> None:
    # test_redis_ping_set_get and test_redis_raw_client left keys behind.
    assert _redis_client(redis_service).dbsize() == 0


def test_redis_stop_and_start(redis_service: RedisServer) -> None:
    client = _redis_client(redis_service)
    port = redis_service.port
    assert client.ping()

    redis_service.stop()
    assert not redis_service.running
    assert not port_is_open(port)
    with pytest.raises(redis.ConnectionError):
        _redis_client(redis_service).ping()

    redis_service.start()
    assert redis_service.running
    assert redis_service.port == port
    assert _redis_client(redis_service).set("back", "1")
    assert client.ping()  # the pool reconnects

    redis_service.restart()
    assert redis_service.port == port
    assert _redis_client(redis_service).ping()


def test_redis_left_stopped(redis_service: RedisServer) -> None:
    redis_service.stop()  # the next test must still get a running server


def test_redis_running_again_after_a_test_stopped_it(redis_service: RedisServer) -> None:
    assert redis_service.running
    assert _redis_client(redis_service).ping()


# -- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture
def dbname(postgres_service: PostgresServer) -> str:
    name = f"test_{uuid.uuid4().hex[:12]}"
    postgres_service.create_database(name)
    return name


def test_postgres_connection_info(postgres_service: PostgresServer) -> None:
    port = postgres_service.port
    assert postgres_service.host == "127.0.0.1"
    assert postgres_service.user == "postgres"
    assert postgres_service.url("app") == f"postgresql://postgres@127.0.0.1:{port}/app"
    assert postgres_service.running


def test_postgres_select(postgres_service: PostgresServer, dbname: str) -> None:
    with _connect(postgres_service, dbname) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.execute("SELECT current_database()").fetchone() == (dbname,)


def test_postgres_create_database_replaces_existing(
    postgres_service: PostgresServer, dbname: str
) -> None:
    with _connect(postgres_service, dbname) as conn:
        conn.execute("CREATE TABLE t (x int)")
    # Recreating drops the old database, even with a connection still open.
    conn = _connect(postgres_service, dbname)
    try:
        url = postgres_service.create_database(dbname)
    finally:
        conn.close()
    assert url == postgres_service.url(dbname)
    with _connect(postgres_service, dbname) as conn:
        assert conn.execute("SELECT to_regclass('t')").fetchone() == (None,)


def test_postgres_connection_count(postgres_service: PostgresServer, dbname: str) -> None:
    assert postgres_service.connection_count(dbname) == 0
    first = _connect(postgres_service, dbname)
    assert postgres_service.connection_count(dbname) == 1
    second = _connect(postgres_service, dbname)
    assert postgres_service.connection_count(dbname) == 2
    first.close()
    second.close()
    assert postgres_service.wait_for_connection_count(dbname, 0) == 0


def test_postgres_stop_and_start(postgres_service: PostgresServer, dbname: str) -> None:
    port = postgres_service.port
    with _connect(postgres_service, dbname) as conn:
        conn.execute("CREATE TABLE kept (value text)")
        conn.execute("INSERT INTO kept VALUES ('survives restarts')")
    open_conn = _connect(postgres_service, dbname)

    postgres_service.stop()
    assert not postgres_service.running
    assert not port_is_open(port)
    with pytest.raises(psycopg.OperationalError):
        open_conn.execute("SELECT 1")  # the outage cut the open connection
    with pytest.raises(psycopg.OperationalError):
        _connect(postgres_service, dbname)

    postgres_service.start()
    assert postgres_service.running
    assert postgres_service.port == port
    with _connect(postgres_service, dbname) as conn:
        assert conn.execute("SELECT value FROM kept").fetchall() == [("survives restarts",)]

    postgres_service.restart()
    assert postgres_service.port == port
    with _connect(postgres_service, dbname) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone() == (1,)


def test_postgres_left_stopped(postgres_service: PostgresServer) -> None:
    postgres_service.stop()  # the next test must still get a running server


def test_postgres_running_again_after_a_test_stopped_it(
    postgres_service: PostgresServer, dbname: str
) -> None:
    assert postgres_service.running
    with _connect(postgres_service, dbname) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
