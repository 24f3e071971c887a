"""Built-in checks for Sanic applications, and the check message classes.

Everything a custom check needs is importable from here::

    from dockerflow.sanic import checks

    @dockerflow.check
    async def storage_reachable():
        if not await storage.ping():
            return [checks.Error("storage is unreachable", id="acme.health.E001")]
        return []

The built-in :func:`check_redis_connected` is registered automatically when the
:class:`~dockerflow.sanic.app.Dockerflow` extension is given a Redis client.
"""

from __future__ import annotations

from typing import Any

from ..checks import messages as _messages
from ..checks import services

# The message classes and levels, re-exported for writing checks.
from ..checks.messages import *  # noqa: F403
from ..checks.messages import CheckMessage

__all__ = [
    "check_redis_connected",
]
__all__ += _messages.__all__


async def check_redis_connected(redis_client: Any) -> list[CheckMessage]:
    """Send ``PING`` to Redis and report what went wrong, if anything.

    :param redis_client: a :class:`redis.asyncio.Redis` client (what sanic-redis
        creates), a plain :class:`redis.Redis` client (its blocking ``PING`` runs in a
        worker thread, never on the event loop), or an object holding one as ``.conn``
        (older sanic-redis releases).
    :returns: an empty list when Redis answers ``PONG``; otherwise one
        :class:`~dockerflow.checks.Error`:

        ====================================== =====================================
        ``dockerflow.health.E004``             cannot connect (refused, reset, DNS)
        ``dockerflow.health.E010``             any other Redis error (auth, timeout)
        ``dockerflow.health.E007``             ``PING`` got an answer other than PONG
        ``dockerflow.health.E005``             there is no client (yet) to ask
        ====================================== =====================================

    It is added to the heartbeat automatically when a client or a ``SanicRedis``
    instance is passed to the extension::

        import redis.asyncio as redis
        from sanic import Sanic
        from dockerflow.sanic import Dockerflow

        app = Sanic("myproject")
        dockerflow = Dockerflow(app, redis=redis.from_url("redis://localhost:6379/0"))

    or with the sanic-redis extension::

        from sanic_redis import SanicRedis

        app.config.REDIS = "redis://localhost:6379/0"
        dockerflow = Dockerflow(app, redis=SanicRedis(app))
    """
    client = redis_client
    if client is not None and not hasattr(client, "ping"):
        client = getattr(client, "conn", None)
    return await services.check_redis_connected_async(client)
