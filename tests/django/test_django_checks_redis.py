"""check_redis_connected against a real Redis server through django-redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings

from dockerflow import health
from dockerflow.django.checks import check_redis_connected


def redis_caches(url: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }


def ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


@pytest.fixture
def with_redis_check(register_check: Callable[..., Any]) -> None:
    register_check(check_redis_connected)


def heartbeat() -> tuple[int, dict[str, Any]]:
    with override_settings(DEBUG=True):
        response = Client().get("/__heartbeat__")
    return response.status_code, response.json()


def test_redis_up_down_and_back(redis_service: Any, with_redis_check: None) -> None:
    with override_settings(CACHES=redis_caches(redis_service.url)):
        assert check_redis_connected(None) == []
        status, body = heartbeat()
        assert (status, body["checks"]["check_redis_connected"]) == (200, "ok")

        redis_service.stop()
        try:
            # The connection breaks during PING: an error result, not a crash.
            assert ids(check_redis_connected(None)) == [health.ERROR_CANNOT_CONNECT_REDIS]
            status, body = heartbeat()
            assert status == 500
            assert list(body["details"]["check_redis_connected"]["messages"]) == [
                health.ERROR_CANNOT_CONNECT_REDIS
            ]
        finally:
            redis_service.start()
        assert check_redis_connected(None) == []
        status, body = heartbeat()
        assert (status, body["status"]) == (200, "ok")


def test_redis_ping_refused_is_ping_failed(redis_service: Any) -> None:
    redis_service.command("ACL", "SETUSER", "default", "-ping")
    try:
        with override_settings(CACHES=redis_caches(redis_service.url)):
            messages = check_redis_connected(None)
    finally:
        redis_service.command("ACL", "SETUSER", "default", "+@all")
    assert ids(messages) == [health.ERROR_REDIS_PING_FAILED]


def redis_caches_speaking(url: str, protocol: int) -> dict[str, Any]:
    """:func:`redis_caches` with the RESP version given (redis-py 8 defaults to 3)."""
    caches = redis_caches(url)
    caches["default"]["OPTIONS"]["CONNECTION_POOL_KWARGS"] = {"protocol": protocol}
    return caches


def test_a_reply_redis_py_cannot_read_is_ping_failed(with_redis_check: None) -> None:
    """A server answering ``HELLO`` with ``+NOPE`` instead of a map: redis-py (8.1 and
    later, RESP3) raises ``AttributeError`` in its handshake, which the check reports as
    E007 with redis-py's text, and the heartbeat as a failed check (not a crash, not an
    unexpected exception); a redis-py that goes on to ``PING`` gets a wrong answer, E007
    too."""
    from services import RespServer

    with RespServer(b"+NOPE\r\n", other_reply=b"+NOPE\r\n") as server:
        with override_settings(CACHES=redis_caches_speaking(server.url, 3)):
            messages = check_redis_connected(None)
            status, body = heartbeat()
        assert server.received("HELLO")
        failed_in_handshake = not server.received("PING")
    assert ids(messages) == [health.ERROR_REDIS_PING_FAILED]
    if failed_in_handshake:
        assert messages[0].msg.startswith(
            "Redis ping failed: redis-py could not read the server's reply (AttributeError: "
        ), messages[0].msg
    else:
        assert messages[0].msg.startswith("Redis ping failed"), messages[0].msg
    assert (status, body["status"]) == (500, "error")
    assert list(body["details"]["check_redis_connected"]["messages"]) == [
        health.ERROR_REDIS_PING_FAILED
    ]


def test_a_wrong_answer_to_ping_is_ping_failed() -> None:
    from services import RespServer

    with RespServer(b"+NOPE\r\n") as server:
        with override_settings(CACHES=redis_caches_speaking(server.url, 2)):
            messages = check_redis_connected(None)
        assert server.received("PING"), server.commands
    assert [(m.id, m.msg) for m in messages] == [
        (health.ERROR_REDIS_PING_FAILED, "Redis ping failed")
    ]


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_cache_that_is_not_django_redis_is_a_missing_client(with_redis_check: None) -> None:
    assert ids(check_redis_connected(None)) == [health.ERROR_MISSING_REDIS_CLIENT]
    status, body = heartbeat()
    assert status == 500
    assert list(body["details"]["check_redis_connected"]["messages"]) == [
        health.ERROR_MISSING_REDIS_CLIENT
    ]


@override_settings(CACHES={"other": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_no_default_cache_is_misconfigured() -> None:
    assert ids(check_redis_connected(None)) == [health.ERROR_MISCONFIGURED_REDIS]


def test_invalid_location_is_misconfigured() -> None:
    with override_settings(CACHES=redis_caches("nonsense://127.0.0.1:6379/0")):
        assert ids(check_redis_connected(None)) == [health.ERROR_MISCONFIGURED_REDIS]


def test_nobody_listening_is_cannot_connect() -> None:
    from djtest_support import free_port

    with override_settings(CACHES=redis_caches(f"redis://127.0.0.1:{free_port()}/0")):
        assert ids(check_redis_connected(None)) == [health.ERROR_CANNOT_CONNECT_REDIS]
