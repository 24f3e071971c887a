"""Shared fixtures: the real Redis and PostgreSQL servers of the test session.

``redis_server`` / ``postgres_server`` (session scope) start a server the first time a test
asks for one and remove it at the end of the session. ``redis_service`` / ``postgres_service``
(function scope) hand the same server to a test, running again (a previous test may have
stopped it) and, for Redis, empty. A missing binary makes the test fail, never skip.
Tests using them get the ``redis`` / ``postgres`` marker, so ``-m "not postgres"`` works.
The servers themselves live in ``tests/services.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

# --import-mode=importlib does not put test directories on sys.path: add this one so that
# tests (and other conftest.py files) can `from services import RedisServer, PostgresServer`.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from services import PostgresServer, RedisServer, ServiceError  # noqa: E402

_T = TypeVar("_T", RedisServer, PostgresServer)

_MARKERS = {
    "redis": ("redis_server", "needs the real Redis server started by the test session"),
    "postgres": ("postgres_server", "needs the real PostgreSQL server started by the test session"),
}


def pytest_configure(config: pytest.Config) -> None:
    for marker, (_, description) in _MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {description}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        for marker, (fixture, _) in _MARKERS.items():
            if fixture in fixtures:
                item.add_marker(marker)


def _serve(factory: Callable[[], _T]) -> Iterator[_T]:
    try:
        server = factory()
    except ServiceError as exc:
        error = str(exc)  # fail outside the except block: no "During handling..." noise
    else:
        error = ""
    if error:
        pytest.fail(error, pytrace=False)
    try:
        _ensure_running(server)
        yield server
    finally:
        server.close()


def _ensure_running(server: RedisServer | PostgresServer) -> None:
    try:
        server.start()
    except ServiceError as exc:
        error = str(exc)
    else:
        return
    pytest.fail(error, pytrace=False)


@pytest.fixture(autouse=True)
def _no_request_id_from_an_earlier_test() -> Iterator[None]:
    """Each test starts outside any request: Django's middleware keeps a request's id in
    ``request_id_context`` after the request (its late records carry it), which a test of
    another framework in the same process would otherwise inherit."""
    from dockerflow.request import request_id_context

    token = request_id_context.set(None)
    yield
    request_id_context.reset(token)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's Redis server (started on first use)."""
    yield from _serve(RedisServer)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (started on first use)."""
    yield from _serve(PostgresServer)


@pytest.fixture
def redis_service(redis_server: RedisServer) -> RedisServer:
    """The session's Redis server, running and emptied (FLUSHALL) for this test."""
    _ensure_running(redis_server)
    redis_server.flushall()
    return redis_server


@pytest.fixture
def postgres_service(postgres_server: PostgresServer) -> PostgresServer:
    """The session's PostgreSQL server, running for this test."""
    _ensure_running(postgres_server)
    return postgres_server
