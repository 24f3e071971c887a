"""Mozilla's Dockerflow for Sanic.

::

    from sanic import Sanic
    from dockerflow.sanic import Dockerflow, checks

    app = Sanic("myproject")
    dockerflow = Dockerflow(app)

See :class:`~dockerflow.sanic.app.Dockerflow` for the options,
:mod:`dockerflow.sanic.checks` for the built-in checks and the check messages, and
:mod:`dockerflow.sanic.signals` for the heartbeat signals.
"""

from . import checks, signals
from .app import Dockerflow

__all__ = ["Dockerflow", "checks", "signals"]
