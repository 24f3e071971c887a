"""Dockerflow for Flask: the health endpoints, ``version.json`` and mozlog request logging.

::

    from flask import Flask
    from dockerflow.flask import Dockerflow, checks

    app = Flask(__name__)
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def storage_reachable():
        return [] if storage.ping() else [checks.Error("storage down", id="acme.health.E001")]

See :class:`~dockerflow.flask.app.Dockerflow` for the options, :mod:`dockerflow.flask.checks`
for the built-in checks and :mod:`dockerflow.flask.signals` for the heartbeat signals.
Importing this package needs only Flask (and blinker): SQLAlchemy, Alembic, redis-py and
Flask-Login are used only when the objects that need them are passed in.
"""

from . import checks, signals
from .app import Dockerflow, HeartbeatFailure

__all__ = ["Dockerflow", "HeartbeatFailure", "checks", "signals"]
