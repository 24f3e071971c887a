"""check_redis_connected with redis-py and Flask-Redis against a real Redis server, and
against a tiny RESP server on loopback that answers PING (or the handshake) wrongly."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import flask
import pytest
import redis
from flask_redis import FlaskRedis
from services import RedisServer, RespServer

from dockerflow import health
from dockerflow.flask import Dockerflow
from dockerflow.flask.checks import check_redis_connected


def heartbeat(app: flask.Flask) -> tuple[int, dict[str, Any]]:
    response = app.test_client().get("/__heartbeat__")
    return response.status_code, response.json


def redis_ids(body: dict[str, Any]) -> list[str]:
    return list(body.get("details", {}).get("check_redis_connected", {}).get("messages", {}))


def test_redis_py_outage_and_recovery(redis_service: RedisServer) -> None:
    app = flask.Flask("flask_redis_app")
    client = redis.Redis.from_url(redis_service.url, socket_timeout=2, socket_connect_timeout=2)
    Dockerflow(app, redis=client)
    assert heartbeat(app) == (
        200,
        {"status": "ok", "checks": {"check_redis_connected": "ok"}, "details": {}},
    )

    redis_service.stop()
    try:
        status, body = heartbeat(app)
        assert status == 500
        assert redis_ids(body) == [health.ERROR_CANNOT_CONNECT_REDIS]
    finally:
        redis_service.start()
    assert heartbeat(app)[0] == 200
    client.close()


def test_flask_redis_outage_and_recovery(redis_service: RedisServer) -> None:
    app = flask.Flask("flask_redis_ext_app")
    app.config["REDIS_URL"] = redis_service.url
    redis_store = FlaskRedis(app)
    Dockerflow(app, redis=redis_store)
    assert heartbeat(app)[0] == 200
    redis_service.stop()
    try:
        status, body = heartbeat(app)
        assert (status, redis_ids(body)) == (500, [health.ERROR_CANNOT_CONNECT_REDIS])
    finally:
        redis_service.start()
    assert heartbeat(app)[0] == 200


def test_lbheartbeat_sends_no_redis_command(redis_service: RedisServer) -> None:
    app = flask.Flask("flask_redis_lb_app")
    client = redis.Redis.from_url(redis_service.url)
    Dockerflow(app, redis=client)
    redis_service.command("CONFIG", "RESETSTAT")
    for _ in range(5):
        assert app.test_client().get("/__lbheartbeat__").status_code == 200
    stats = redis_service.command("INFO", "commandstats")
    assert "cmdstat_ping" not in stats
    assert heartbeat(app)[0] == 200
    assert "cmdstat_ping" in redis_service.command("INFO", "commandstats")
    client.close()


@pytest.fixture
def resp_server(request: pytest.FixtureRequest) -> Iterator[RespServer]:
    server = RespServer(request.param)
    yield server
    server.close()


@pytest.mark.parametrize(
    "resp_server, expected",
    [
        (b"+NOT-PONG\r\n", health.ERROR_REDIS_PING_FAILED),
        (b"$5\r\nhello\r\n", health.ERROR_REDIS_PING_FAILED),
        (b"-ERR PING refused by policy\r\n", health.ERROR_REDIS_EXCEPTION),
        (b"?garbage\r\n", health.ERROR_REDIS_EXCEPTION),
    ],
    indirect=["resp_server"],
    ids=["wrong-simple-string", "wrong-bulk-string", "error-reply", "protocol-garbage"],
)
def test_wrong_ping_answers(resp_server: RespServer, expected: str) -> None:
    client = redis.Redis(host="127.0.0.1", port=resp_server.port, socket_timeout=2, protocol=2)
    app = flask.Flask("flask_resp_app")
    Dockerflow(app, redis=client)
    status, body = heartbeat(app)
    assert (status, redis_ids(body)) == (500, [expected])
    assert resp_server.received("PING")
    client.close()


def test_a_handshake_reply_redis_py_cannot_read_is_ping_failed() -> None:
    """RESP3's HELLO answered with a simple string, not a map: redis-py raises
    AttributeError reading it (8.1 and 8.2), which is a failed PING, not a crashed check."""
    with RespServer(b"+NOPE\r\n", other_reply=b"+NOPE\r\n") as server:
        client = redis.Redis(host=server.host, port=server.port, socket_timeout=2, protocol=3)
        app = flask.Flask("flask_resp_handshake_app")
        Dockerflow(app, redis=client)
        status, body = heartbeat(app)
        assert (status, redis_ids(body)) == (500, [health.ERROR_REDIS_PING_FAILED])
        message = body["details"]["check_redis_connected"]["messages"][
            health.ERROR_REDIS_PING_FAILED
        ]
        assert message.startswith("Redis ping failed: redis-py could not read the server's reply")
        assert "AttributeError" in message
        assert server.received("HELLO")
        client.close()


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens there
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=2)
    assert [m.id for m in check_redis_connected(client)] == [health.ERROR_CANNOT_CONNECT_REDIS]


def test_authentication_required(redis_service: RedisServer) -> None:
    redis_service.command("CONFIG", "SET", "requirepass", "s3cret")
    try:
        client = redis.Redis.from_url(redis_service.url)
        result = check_redis_connected(client)
        assert [m.id for m in result] == [health.ERROR_CANNOT_CONNECT_REDIS]
        assert "s3cret" not in result[0].msg
        authed = redis.Redis.from_url(redis_service.url, password="s3cret")
        assert check_redis_connected(authed) == []
        authed.close()
    finally:
        raw = socket.create_connection(("127.0.0.1", redis_service.port), timeout=5)
        with raw:
            raw.sendall(
                b"*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$11\r\nrequirepass\r\n$0\r\n\r\n"
            )
            reply = b""
            while reply.count(b"\r\n") < 2:
                reply += raw.recv(1024)
    assert redis_service.ping()
