"""Built-in checks for FastAPI applications, and the check message classes.

FastAPI has no extension object to hand a database or a cache to, so the built-in checks
are registered, when you use those services, with :func:`dockerflow.checks.register_partial`
(the check is named after the function, as in the other integrations)::

    from dockerflow import checks
    from dockerflow.fastapi.checks import check_database_connected, check_redis_connected

    engine = create_async_engine("postgresql+psycopg://app@db/app")  # or create_engine()
    checks.register_partial(check_database_connected, engine)

    redis_client = redis.asyncio.Redis.from_url("redis://cache:6379/0")  # or redis.Redis
    checks.register_partial(check_redis_connected, redis_client)

================================ ============================= =================================
Check                            For                           Check IDs it may report
================================ ============================= =================================
:func:`check_database_connected` a SQLAlchemy ``AsyncEngine``  ``E008`` DB-API error (server
                                 or ``Engine``                 down, refused, bad credentials),
                                                               ``E009`` other SQLAlchemy error
:func:`check_redis_connected`    a ``redis.asyncio.Redis`` or  ``E004`` cannot connect, ``E010``
                                 ``redis.Redis`` client        Redis error, ``E007`` no PONG,
                                                               ``E005`` no client
================================ ============================= =================================

(the IDs are ``dockerflow.health.<ID>``, see :mod:`dockerflow.health`). Both are ``async``:
an async engine or client is awaited on the event loop, a sync one runs on core's check
threads, never blocking the loop. A database check that fails on a pooled connection the
server dropped (it restarted) is tried once more on a fresh connection. SQLAlchemy and
redis-py are imported only when a check runs: neither is a dependency of this package.

The message classes :class:`~dockerflow.checks.Debug`, :class:`~dockerflow.checks.Info`,
:class:`~dockerflow.checks.Warning`, :class:`~dockerflow.checks.Error` and
:class:`~dockerflow.checks.Critical` (and the level constants) are re-exported for writing
your own checks.
"""

from __future__ import annotations

from typing import Any

from ..checks import messages as _messages

# The message classes and levels, re-exported for writing checks.
from ..checks.messages import *  # noqa: F403
from ..checks.messages import CheckMessage
from ..checks.services import check_redis_connected_async, check_sqlalchemy_connected_async

__all__ = ["check_database_connected", "check_redis_connected"]
__all__ += _messages.__all__


async def check_database_connected(engine: Any) -> list[CheckMessage]:
    """Check that the database of a SQLAlchemy engine answers ``SELECT 1``.

    :param engine: a ``sqlalchemy.ext.asyncio.AsyncEngine`` (queried on the event loop)
        or a ``sqlalchemy.engine.Engine`` (queried on a check thread).
    :returns: ``[]`` when the query succeeds; an ``Error`` with
        ``dockerflow.health.E008`` when the driver failed (server down, connection
        refused, bad credentials) or ``dockerflow.health.E009`` for any other SQLAlchemy
        error.
    """
    return await check_sqlalchemy_connected_async(engine)


async def check_redis_connected(client: Any) -> list[CheckMessage]:
    """Check that Redis answers ``PING`` with ``PONG``.

    :param client: a ``redis.asyncio.Redis`` client (awaited on the event loop) or a
        ``redis.Redis`` client (its blocking ``PING`` runs on a check thread).
    :returns: ``[]`` on ``PONG``; an ``Error`` with ``dockerflow.health.E004`` when Redis
        cannot be reached, ``E010`` when it answers with an error or times out, ``E007``
        when the answer is not ``PONG``, ``E005`` when ``client`` is ``None``.
    """
    return await check_redis_connected_async(client)
