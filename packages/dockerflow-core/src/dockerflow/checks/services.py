"""Checks of the backing services most applications have: a SQL database through
SQLAlchemy, and Redis through redis-py. The framework integrations register them for
you (``Dockerflow(app, db=db, redis=client)`` in Flask, ``redis=`` in Sanic, and the
FastAPI integration); call them yourself from any other application::

    from dockerflow import checks
    from dockerflow.checks.services import check_redis_connected, check_sqlalchemy_connected

    checks.register_partial(check_sqlalchemy_connected, engine, name="check_database_connected")
    checks.register_partial(check_redis_connected, redis_client, name="check_redis_connected")

Every check returns ``[]`` when the service answers, or one
:class:`~dockerflow.checks.Error` with a stable ID (``dockerflow.health.<ID>``):

======================================== ================================================
Check                                    IDs it may report
======================================== ================================================
:func:`check_sqlalchemy_connected`,      ``E008`` the database driver failed (server down,
:func:`check_sqlalchemy_connected_async` connection refused, bad credentials), ``E009``
                                         any other SQLAlchemy error (a misconfigured URL)
:func:`check_redis_connected`,           ``E004`` cannot connect (refused, reset, lost),
:func:`check_redis_connected_async`      ``E010`` Redis answered with an error or timed
                                         out, ``E007`` ``PING`` was not answered
                                         ``PONG`` (or redis-py could not read a reply
                                         to its connection handshake), ``E005`` there
                                         is no client to ask
======================================== ================================================

**A dead pooled connection is not a dead database.** After a database restart, a
connection pool still holds connections to the old server. When ``SELECT 1`` fails
on such a connection, SQLAlchemy invalidates it (and every connection the pool made
before it); the check then tries once more on a fresh connection, within the same
check timeout, and reports only the fresh connection's failure. With
``pool_pre_ping=True`` the pool already replaces a dead connection at checkout; the
retry changes nothing there.

**Retries of the client are kept.** The Redis checks send ``PING`` through the client
as configured, with its retry policy: redis-py 7 and 8 retry a refused connection with a
back-off that can outlast the check timeout, and the check is then reported timed out
(``E101``). Such a run is not started again while it is within its timeout, and once
it is overdue the next heartbeat starts a fresh run beside it (see
:func:`~dockerflow.checks.run_checks`): the first heartbeat after Redis is back
answers from a fresh ``PING``.

**A reply redis-py cannot read is a failed PING.** A server that answers its connection
handshake with something else than Redis would (a proxy, another service on the port)
can make redis-py itself fail on the reply's shape: redis-py 8.2 raises
``AttributeError: 'bytes' object has no attribute 'get'`` when the reply to ``HELLO`` is
not a map (8.1 already did on sync clients). Such an ``AttributeError``, ``TypeError``,
``KeyError`` or ``IndexError`` is reported as ``E007``, with the exception's text, when
it is raised from within redis-py (the innermost frame of its traceback is in a
``redis.*`` module); raised anywhere else (a client of your own, your own response
callback) it stays an unexpected exception of the check (``E100``, logged with its
traceback).

SQLAlchemy and redis-py are never imported by this module: the checks work on the
objects they are given (duck typing) and import the exception classes only when they
run, so ``dockerflow-core`` keeps no dependency.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from .. import health
from .messages import CheckMessage, Error
from .registry import to_check_thread

__all__ = [
    "check_redis_connected",
    "check_redis_connected_async",
    "check_sqlalchemy_connected",
    "check_sqlalchemy_connected_async",
    "unreadable_redis_reply",
]


def _logger() -> logging.Logger:
    return logging.getLogger(__name__)


# -- SQLAlchemy -----------------------------------------------------------------------------


def _engine_of(engine: Any) -> Any:
    """The engine itself; a Flask-SQLAlchemy ``db`` gives its default engine (an
    ``Engine`` is its own ``.engine``)."""
    return getattr(engine, "engine", engine)


def _select_one(engine: Any) -> None:
    from sqlalchemy import text

    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


async def _select_one_async(engine: Any) -> None:
    from sqlalchemy import text

    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def _database_error(exc: Exception) -> list[CheckMessage]:
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        return [Error(f"DB-API error: {exc!s}", id=health.ERROR_DB_API_EXCEPTION)]
    return [Error(f'Database misconfigured: "{exc!s}"', id=health.ERROR_SQLALCHEMY_EXCEPTION)]


def _invalidated(exc: Exception) -> bool:
    """Whether ``exc`` is a driver error on a connection SQLAlchemy found dead and
    dropped (the pool hands out a fresh connection next)."""
    return bool(getattr(exc, "connection_invalidated", False))


def _retrying(exc: Exception) -> None:
    _logger().info(
        "The database check failed on a pooled connection that is now invalidated (%s); "
        "trying once more on a fresh connection",
        type(exc).__name__,
    )


def check_sqlalchemy_connected(engine: Any) -> list[CheckMessage]:
    """Check that a SQLAlchemy engine's database answers ``SELECT 1``.

    :param engine: a ``sqlalchemy.engine.Engine``, or a Flask-SQLAlchemy ``db`` (its
        default engine is used; call it inside an application context).
    :returns: ``[]``; or an ``Error`` with ``dockerflow.health.E008`` when the driver
        failed (on a fresh connection: a failure on a pooled connection that the pool
        invalidated is retried once), or ``dockerflow.health.E009`` for any other
        SQLAlchemy error.
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        target = _engine_of(engine)
        try:
            _select_one(target)
        except SQLAlchemyError as exc:
            if not _invalidated(exc):
                raise
            _retrying(exc)
            _select_one(target)
    except SQLAlchemyError as exc:
        return _database_error(exc)
    return []


async def check_sqlalchemy_connected_async(engine: Any) -> list[CheckMessage]:
    """The async twin of :func:`check_sqlalchemy_connected`, for an event loop.

    :param engine: a ``sqlalchemy.ext.asyncio.AsyncEngine`` (awaited on the loop), or a
        sync ``Engine`` (run on the check threads, never blocking the loop).
    :returns: what :func:`check_sqlalchemy_connected` returns, with the same retry of
        an invalidated pooled connection.
    """
    if not hasattr(engine, "sync_engine"):  # not an AsyncEngine: off the loop
        result: list[CheckMessage] = await to_check_thread(check_sqlalchemy_connected, engine)
        return result
    from sqlalchemy.exc import SQLAlchemyError

    try:
        try:
            await _select_one_async(engine)
        except SQLAlchemyError as exc:
            if not _invalidated(exc):
                raise
            _retrying(exc)
            await _select_one_async(engine)
    except SQLAlchemyError as exc:
        return _database_error(exc)
    return []


# -- Redis ----------------------------------------------------------------------------------

#: What a healthy Redis answers to ``PING``: redis-py turns ``+PONG`` into ``True``;
#: a client with its response callbacks removed returns the raw reply.
_PONG = (True, b"PONG", "PONG")


#: What redis-py raises when a reply has not the shape it expects (8.2 calls ``.get()``
#: on the reply to ``HELLO``, a map from a real Redis, ``bytes`` from a garbage server).
_MALFORMED_REPLY = (AttributeError, TypeError, KeyError, IndexError)


def _raised_in_redis_py(exc: BaseException) -> bool:
    """Whether the innermost frame of ``exc``'s traceback is redis-py's code."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = tb.tb_frame.f_globals.get("__name__")
    return isinstance(module, str) and (module == "redis" or module.startswith("redis."))


def unreadable_redis_reply(exc: BaseException) -> str | None:
    """The ``E007`` message for ``exc`` when it is redis-py failing to read a reply.

    redis-py raises plain Python errors (``AttributeError``, ``TypeError``,
    ``KeyError``, ``IndexError``) when a server's reply has not the shape it expects:
    8.2 calls ``.get()`` on the reply to ``HELLO`` in its connection handshake, so a
    server that is not Redis makes ``ping()`` raise ``AttributeError``. That is a
    ``PING`` that failed, not a bug of the check. The same errors raised anywhere
    else (a client or response callback of the application's own) are not::

        try:
            client.ping()
        except Exception as exc:
            if (text := unreadable_redis_reply(exc)) is None:
                raise
            return [Error(text, id=health.ERROR_REDIS_PING_FAILED)]

    :param exc: an exception raised by a redis-py call.
    :returns: ``"Redis ping failed: redis-py could not read the server's reply
        (<type>: <text>)"`` when ``exc`` is one of those errors and the innermost
        frame of its traceback is in a ``redis`` module; ``None`` otherwise. The
        traceback is logged at DEBUG on ``dockerflow.checks.services``.
    """
    if not (isinstance(exc, _MALFORMED_REPLY) and _raised_in_redis_py(exc)):
        return None
    _logger().debug("redis-py could not read the server's reply (E007)", exc_info=exc)
    return f"Redis ping failed: redis-py could not read the server's reply ({type(exc).__name__}: {exc!s})"


def _redis_failure(exc: Exception) -> list[CheckMessage] | None:
    """The messages for an exception raised by ``PING``; ``None`` when it is not a
    Redis failure (the runner then reports it as an unexpected exception)."""
    if (unreadable := unreadable_redis_reply(exc)) is not None:
        return [Error(unreadable, id=health.ERROR_REDIS_PING_FAILED)]
    try:
        import redis
    except ImportError:  # a duck-typed client without redis-py
        unreachable: tuple[type[Exception], ...] = (ConnectionError,)
        failed: tuple[type[Exception], ...] = ()
    else:
        unreachable, failed = (redis.ConnectionError, ConnectionError), (redis.RedisError,)
    if isinstance(exc, unreachable):
        return [Error(f"Could not connect to redis: {exc!s}", id=health.ERROR_CANNOT_CONNECT_REDIS)]
    if isinstance(exc, failed):
        return [Error(f'Redis error: "{exc!s}"', id=health.ERROR_REDIS_EXCEPTION)]
    return None


def _pong(result: Any) -> list[CheckMessage]:
    if result not in _PONG:
        return [Error("Redis ping failed", id=health.ERROR_REDIS_PING_FAILED)]
    return []


def _missing_client() -> list[CheckMessage]:
    return [Error("No Redis client to check", id=health.ERROR_MISSING_REDIS_CLIENT)]


def check_redis_connected(client: Any) -> list[CheckMessage]:
    """Check that Redis answers ``PING`` with ``PONG``, through a sync client.

    :param client: anything with a redis-py ``ping()`` method: a ``redis.Redis``
        client, a Flask-Redis extension.
    :returns: ``[]`` on ``PONG``; otherwise an ``Error`` with
        ``dockerflow.health.E004`` (cannot connect: refused, reset, lost),
        ``E010`` (Redis answered with an error, or timed out), ``E007`` (an answer
        other than ``PONG``, or a reply redis-py itself failed to read, as in its
        connection handshake) or ``E005`` (``client`` is ``None``).
    """
    if client is None:
        return _missing_client()
    try:
        answer = client.ping()
    except Exception as exc:
        if (messages := _redis_failure(exc)) is None:
            raise
        return messages
    return _pong(answer)


def _is_async_client(client: Any) -> bool:
    return inspect.iscoroutinefunction(getattr(client, "ping", None)) or (
        inspect.iscoroutinefunction(getattr(client, "execute_command", None))
    )


async def check_redis_connected_async(client: Any) -> list[CheckMessage]:
    """The async twin of :func:`check_redis_connected`, for an event loop.

    :param client: a ``redis.asyncio.Redis`` client (its ``PING`` is awaited on the
        loop), or a sync client (its blocking ``PING`` runs on the check threads,
        never on the loop).
    :returns: what :func:`check_redis_connected` returns.
    """
    if client is None:
        return _missing_client()
    if not _is_async_client(client):
        result: list[CheckMessage] = await to_check_thread(check_redis_connected, client)
        return result
    try:
        answer = await client.ping()
    except Exception as exc:
        if (messages := _redis_failure(exc)) is None:
            raise
        return messages
    return _pong(answer)
