"""Built-in health checks for Flask applications, and the check message classes.

The checks below are registered automatically when the matching object is passed
to :class:`~dockerflow.flask.Dockerflow`::

    dockerflow = Dockerflow(app, db=db, redis=redis_client, migrate=migrate)

================================ ========================== ======================================
Check                            Registered for             Check IDs it may report
================================ ========================== ======================================
:func:`check_database_connected` ``db=`` (Flask-SQLAlchemy) ``E008`` DB-API error, ``E009`` other
                                                            SQLAlchemy error
:func:`check_migrations_applied` ``migrate=``               ``W001`` unapplied migrations (the
                                 (Flask-Migrate)            heartbeat still passes), ``I001`` the
                                                            migrations could not be checked
:func:`check_redis_connected`    ``redis=`` (redis-py       ``E004`` cannot connect, ``E007`` PING
                                 or Flask-Redis)            answered with something other than
                                                            PONG, ``E010`` Redis refused the command
================================ ========================== ======================================

(the IDs are ``dockerflow.health.<ID>``, see :mod:`dockerflow.health`).

SQLAlchemy, Alembic and redis-py are imported only when a check runs, so this
module, like the rest of :mod:`dockerflow.flask`, works with Flask alone.

The message classes :class:`~dockerflow.checks.Debug`, :class:`~dockerflow.checks.Info`,
:class:`~dockerflow.checks.Warning`, :class:`~dockerflow.checks.Error` and
:class:`~dockerflow.checks.Critical` (and the level constants) are re-exported
from :mod:`dockerflow.checks` for writing your own checks::

    from dockerflow.flask import checks

    @dockerflow.check
    def storage_reachable():
        if not acme.storage.ping():
            return [checks.Error("storage unreachable", id="acme.health.E001")]
        return []
"""

from __future__ import annotations

from typing import Any

from dockerflow import health
from dockerflow.checks import messages as _messages
from dockerflow.checks import services

# The message classes and levels, re-exported for writing checks.
from dockerflow.checks.messages import *  # noqa: F403
from dockerflow.checks.messages import CheckMessage, Info, Warning

__all__ = [
    "check_database_connected",
    "check_migrations_applied",
    "check_redis_connected",
]
__all__ += _messages.__all__


def check_database_connected(db: Any) -> list[CheckMessage]:
    """Check that the default database of a Flask-SQLAlchemy ``db`` answers ``SELECT 1``.

    Registered automatically by ``Dockerflow(app, db=db)``::

        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:////tmp/test.db"
        db = SQLAlchemy(app)
        dockerflow = Dockerflow(app, db=db)

    :param db: a ``flask_sqlalchemy.SQLAlchemy`` instance. The heartbeat runs the
        check inside an application context, as ``db.engine`` requires.
    :returns: no message when the query succeeds; an ``Error`` with
        ``dockerflow.health.E008`` when the database driver failed (server down,
        connection refused, bad credentials), or ``dockerflow.health.E009`` for
        any other SQLAlchemy error (e.g. a misconfigured URI). A failure on a pooled
        connection that died with an earlier database server is retried once on a
        fresh connection (see :mod:`dockerflow.checks.services`).
    """
    return services.check_sqlalchemy_connected(db)


def check_migrations_applied(migrate: Any) -> list[CheckMessage]:
    """Check that the database is at the head revision(s) of the Alembic migrations.

    Registered automatically by ``Dockerflow(app, db=db, migrate=migrate)``::

        db = SQLAlchemy(app)
        migrate = Migrate(app, db)
        dockerflow = Dockerflow(app, db=db, migrate=migrate)

    :param migrate: a ``flask_migrate.Migrate`` instance; its ``directory`` is the
        migrations folder and its ``db`` the database to compare with.
    :returns: no message when the database is up to date; a ``Warning`` with
        ``dockerflow.health.W001`` listing the missing heads when migrations are
        unapplied (the heartbeat still passes: the code may be deployed ahead of
        its migration); an ``Info`` with ``dockerflow.health.I001`` when the
        migrations cannot be checked (database unreachable, migrations folder
        missing or broken).
    """
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    try:
        # The directory is passed explicitly: older Flask-Migrate releases require it.
        config = migrate.get_config(directory=migrate.directory)
        script = ScriptDirectory.from_config(config)
        script_heads = set(script.get_heads())
        with migrate.db.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            db_heads = set(context.get_current_heads())
    except Exception as exc:
        return [
            Info(
                f"Can't check the migrations: {type(exc).__name__}: {exc!s}",
                id=health.INFO_CANT_CHECK_MIGRATIONS,
            )
        ]
    missing = sorted(script_heads - db_heads)
    if db_heads != script_heads:
        heads = ", ".join(missing or sorted(script_heads)) or "(none)"
        return [
            Warning(f"Unapplied migrations found: {heads}", id=health.WARNING_UNAPPLIED_MIGRATION)
        ]
    return []


def check_redis_connected(client: Any) -> list[CheckMessage]:
    """Check that Redis answers ``PING`` with ``PONG``.

    Registered automatically by ``Dockerflow(app, redis=client)``, where ``client``
    is a redis-py client or a Flask-Redis extension::

        redis_client = redis.Redis.from_url("redis://localhost:6379/0")
        dockerflow = Dockerflow(app, redis=redis_client)

        # or
        app.config["REDIS_URL"] = "redis://:password@localhost:6379/0"
        redis_store = FlaskRedis(app)
        dockerflow = Dockerflow(app, redis=redis_store)

    :param client: anything with a redis-py ``ping()`` method.
    :returns: no message on ``PONG``; an ``Error`` with ``dockerflow.health.E004``
        when no usable connection can be made (refused, reset, authentication
        required), ``dockerflow.health.E007`` when ``PING`` is answered with
        something other than ``PONG``, or ``dockerflow.health.E010`` when Redis
        answers with an error or breaks the protocol.
    """
    return services.check_redis_connected(client)
