"""Health checks for Django, written for Django's system check framework.

Each check takes ``(app_configs, **kwargs)`` and returns a list of
:mod:`django.core.checks` messages, so it runs from ``manage.py check`` as well as
from ``/__heartbeat__``. Every message carries a stable ID from
:mod:`dockerflow.health`:

============================== ===================================================
ID                             Meaning
============================== ===================================================
``dockerflow.health.E001``     cannot connect to the default database
``dockerflow.health.E002``     connected, but the connection is not usable
``dockerflow.health.E003``     the default database is misconfigured
``dockerflow.health.W001``     a migration is not applied (one message each)
``dockerflow.health.I001``     migrations cannot be checked (database unreachable)
``dockerflow.health.E004``     cannot connect to Redis (also: lost during ``PING``)
``dockerflow.health.E005``     the ``default`` cache is not a django-redis cache
``dockerflow.health.E006``     the Redis cache is misconfigured
``dockerflow.health.E007``     Redis did not answer ``PING``
============================== ===================================================

Which checks the heartbeat runs is the ``DOCKERFLOW_CHECKS`` setting, a list of
dotted paths that :func:`register` hands to Django when the app is ready::

    DOCKERFLOW_CHECKS = [
        "dockerflow.django.checks.check_database_connected",
        "dockerflow.django.checks.check_migrations_applied",
        "dockerflow.django.checks.check_redis_connected",
    ]

Your own checks are plain Django system checks: register them with
``django.core.checks.register`` (or list them in ``DOCKERFLOW_CHECKS``) and the
heartbeat runs them too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings  # type: ignore[import-untyped]
from django.core import checks  # type: ignore[import-untyped]
from django.core.exceptions import ImproperlyConfigured  # type: ignore[import-untyped]
from django.db import DatabaseError, connection  # type: ignore[import-untyped]
from django.utils.module_loading import import_string  # type: ignore[import-untyped]

from dockerflow import health
from dockerflow.checks.services import unreadable_redis_reply

__all__ = [
    "DEFAULT_CHECKS",
    "check_database_connected",
    "check_migrations_applied",
    "check_redis_connected",
    "register",
]

#: What ``DOCKERFLOW_CHECKS`` is when the setting is absent.
DEFAULT_CHECKS = (
    "dockerflow.django.checks.check_database_connected",
    "dockerflow.django.checks.check_migrations_applied",
)


def _drop_stale_connection(conn: Any) -> None:
    """Close a kept-alive connection (``CONN_MAX_AGE``) that no longer works.

    After a database restart, a persistent connection still looks open but its
    socket is dead: it is closed here so the next query reconnects, instead of
    the restart being reported as an outage.
    """
    if conn.connection is not None and not conn.in_atomic_block and not conn.is_usable():
        conn.close()


def check_database_connected(app_configs: Iterable[Any] | None, **kwargs: Any) -> list[Any]:
    """Check that the default database accepts connections.

    :returns: ``[]``, or one error: ``E001`` (cannot connect), ``E002`` (connected
        but unusable) or ``E003`` (misconfigured, e.g. no ``ENGINE``).
    """
    try:
        _drop_stale_connection(connection)
        connection.ensure_connection()
        usable = connection.is_usable()
    except ImproperlyConfigured as exc:
        return [
            checks.Error(f'Database misconfigured: "{exc}"', id=health.ERROR_MISCONFIGURED_DATABASE)
        ]
    except DatabaseError as exc:
        return [
            checks.Error(
                f"Could not connect to database: {exc}", id=health.ERROR_CANNOT_CONNECT_DATABASE
            )
        ]
    if not usable:
        return [
            checks.Error("Database connection is not usable", id=health.ERROR_UNUSABLE_DATABASE)
        ]
    return []


def check_migrations_applied(app_configs: Iterable[Any] | None, **kwargs: Any) -> list[Any]:
    """Check that every migration on disk is applied to the default database.

    An unapplied migration is a *warning* (``W001``, one per migration): an error
    would stop ``manage.py migrate`` itself from running. When the database cannot
    be read, the result is ``I001`` (information): the database check reports the
    outage.

    :param app_configs: limit the check to these apps (``None``: every app with
        migrations).
    """
    from django.db.migrations.loader import MigrationLoader  # type: ignore[import-untyped]

    try:
        _drop_stale_connection(connection)
        loader = MigrationLoader(connection, ignore_no_migrations=True)
    except (ImproperlyConfigured, DatabaseError):
        return [
            checks.Info(
                "Can't connect to database to check migrations",
                id=health.INFO_CANT_CHECK_MIGRATIONS,
            )
        ]
    labels = {app.label for app in app_configs} if app_configs else set(loader.migrated_apps)
    return [
        checks.Warning(f"Unapplied migration {migration}", id=health.WARNING_UNAPPLIED_MIGRATION)
        for node, migration in loader.graph.nodes.items()
        if migration.app_label in labels and node not in loader.applied_migrations
    ]


def check_redis_connected(app_configs: Iterable[Any] | None, **kwargs: Any) -> list[Any]:
    """Check that the ``default`` cache's Redis answers ``PING``, via django-redis.

    :returns: ``[]``, or one error: ``E004`` (cannot connect, or the connection
        broke during ``PING``), ``E005`` (django-redis is not installed, or the
        ``default`` cache is not a django-redis cache), ``E006`` (misconfigured,
        e.g. no ``default`` cache or an invalid ``LOCATION``) or ``E007`` (``PING``
        failed, or redis-py could not read the server's reply).
    """
    try:
        from django_redis import get_redis_connection  # type: ignore[import-untyped]
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import RedisError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError as exc:
        return [
            checks.Error(f"Redis client not available: {exc}", id=health.ERROR_MISSING_REDIS_CLIENT)
        ]
    unreachable = (RedisConnectionError, RedisTimeoutError)
    try:
        client = get_redis_connection("default")
    except unreachable as exc:
        return [
            checks.Error(f"Could not connect to redis: {exc}", id=health.ERROR_CANNOT_CONNECT_REDIS)
        ]
    except NotImplementedError as exc:
        return [
            checks.Error(f"Redis client not available: {exc}", id=health.ERROR_MISSING_REDIS_CLIENT)
        ]
    except (ImproperlyConfigured, ValueError) as exc:
        return [checks.Error(f'Redis misconfigured: "{exc}"', id=health.ERROR_MISCONFIGURED_REDIS)]
    try:
        pong = client.ping()
    except unreachable as exc:
        return [
            checks.Error(f"Could not connect to redis: {exc}", id=health.ERROR_CANNOT_CONNECT_REDIS)
        ]
    except ValueError as exc:  # an invalid LOCATION is only parsed on first use
        return [checks.Error(f'Redis misconfigured: "{exc}"', id=health.ERROR_MISCONFIGURED_REDIS)]
    except RedisError as exc:
        return [checks.Error(f"Redis ping failed: {exc}", id=health.ERROR_REDIS_PING_FAILED)]
    except Exception as exc:  # redis-py failing to read a garbage reply is a failed PING
        if (unreadable := unreadable_redis_reply(exc)) is None:
            raise
        return [checks.Error(unreadable, id=health.ERROR_REDIS_PING_FAILED)]
    if not pong:
        return [checks.Error("Redis ping failed", id=health.ERROR_REDIS_PING_FAILED)]
    return []


def register() -> None:
    """Register the checks named in ``DOCKERFLOW_CHECKS`` with Django's check framework.

    Called by the app's ``ready()``; registering the same check twice is harmless.
    A string instead of a list raises Django's ``ImproperlyConfigured``, saying so.

    :raises ImportError: when a dotted path cannot be imported (a typo in the
        setting fails loudly at startup, not at the first heartbeat).
    """
    paths = getattr(settings, "DOCKERFLOW_CHECKS", DEFAULT_CHECKS)
    if isinstance(paths, str):  # it would be read one character at a time
        raise ImproperlyConfigured(
            f"DOCKERFLOW_CHECKS must be a list of dotted paths, not the string {paths!r}"
        )
    for path in paths:
        checks.register(import_string(path))
